//go:build wasip1

package contract

// The contract's exports: the CosmWasm 1.x ABI the VM calls, each a
// one-line call of this package's entry points. A contract's main package
// gets them by importing this package (which every contract does to
// Register its handlers); it must not declare them again, or the link
// fails with a duplicate export.

//go:wasmexport interface_version_8
func interfaceVersion8() {}

// requires_iterator declares that the contract uses db_scan/db_next.
//
//go:wasmexport requires_iterator
func requiresIterator() {}

//go:wasmexport allocate
func abiAllocate(size uint32) uint32 { return Allocate(size) }

//go:wasmexport deallocate
func abiDeallocate(ptr uint32) { Deallocate(ptr) }

//go:wasmexport instantiate
func abiInstantiate(env, info, msg uint32) uint32 { return Instantiate(env, info, msg) }

//go:wasmexport execute
func abiExecute(env, info, msg uint32) uint32 { return Execute(env, info, msg) }

//go:wasmexport query
func abiQuery(env, msg uint32) uint32 { return Query(env, msg) }

//go:wasmexport migrate
func abiMigrate(env, msg uint32) uint32 { return Migrate(env, msg) }

//go:wasmexport reply
func abiReply(env, msg uint32) uint32 { return ReplyEntry(env, msg) }
