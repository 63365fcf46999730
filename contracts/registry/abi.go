//go:build wasip1

// This file is the ABI shim of a Hermetic Go contract. Copy it unchanged
// into your contract's main package: Go only honours //go:wasmexport in
// package main, so each export is a one-line call into package contract,
// which does the work (see its documentation). The build constraint keeps
// the package buildable, and its handlers testable, on the host.

package main

import "github.com/hermetic-chain/hermetic/contract"

//go:wasmexport interface_version_8
func interfaceVersion8() {}

// requires_iterator declares that the contract uses db_scan/db_next.
//
//go:wasmexport requires_iterator
func requiresIterator() {}

//go:wasmexport allocate
func abiAllocate(size uint32) uint32 { return contract.Allocate(size) }

//go:wasmexport deallocate
func abiDeallocate(ptr uint32) { contract.Deallocate(ptr) }

//go:wasmexport instantiate
func abiInstantiate(env, info, msg uint32) uint32 { return contract.Instantiate(env, info, msg) }

//go:wasmexport execute
func abiExecute(env, info, msg uint32) uint32 { return contract.Execute(env, info, msg) }

//go:wasmexport query
func abiQuery(env, msg uint32) uint32 { return contract.Query(env, msg) }

//go:wasmexport migrate
func abiMigrate(env, msg uint32) uint32 { return contract.Migrate(env, msg) }

//go:wasmexport reply
func abiReply(env, msg uint32) uint32 { return contract.ReplyEntry(env, msg) }
