package main

import (
	"bytes"
	"fmt"

	"github.com/hermetic-chain/hermetic/contract"
)

// loadDevice returns the organisation's device, or errNotFound.
func loadDevice(s contract.Storage, orgID, deviceID string) (Device, error) {
	d, found, err := devices.MayLoad(s, orgKey(orgID, deviceID))
	if err != nil {
		return Device{}, fmt.Errorf("device %s: %w", deviceID, err)
	}
	if !found {
		return Device{}, fmt.Errorf("%w: no device %s in organisation %s", errNotFound, deviceID, orgID)
	}
	return d, nil
}

func executeRegisterDevice(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	m, o, err := decodeAsAdmin[registerDeviceMsg](deps, "register_device", body, sender)
	if err != nil {
		return nil, err
	}
	if err := validateID("device_id", m.DeviceID); err != nil {
		return nil, err
	}
	if err := validateText("name", m.Name, 0, maxNameLen); err != nil {
		return nil, err
	}
	if err := validateDeviceKey(deps, m.Key.Type, m.Key.Value); err != nil {
		return nil, err
	}
	if devices.Has(deps.Storage, orgKey(o.ID, m.DeviceID)) {
		return nil, fmt.Errorf("%w device_id: device %s is already registered in organisation %s", errInvalid, m.DeviceID, o.ID)
	}
	now, err := blockTime(env)
	if err != nil {
		return nil, err
	}
	d := Device{
		ID: m.DeviceID, Name: m.Name, RegisteredAt: now,
		Keys: []DeviceKey{{Type: m.Key.Type, PublicKey: m.Key.Value, ValidFrom: now}},
	}
	return d, devices.Save(deps.Storage, orgKey(o.ID, d.ID), d)
}

// effectiveFrom is the time a rotation or revocation takes effect: the
// block time if at is nil, else at, which must not be in the past.
func effectiveFrom(env contract.Env, at *Time) (Time, error) {
	now, err := blockTime(env)
	if err != nil {
		return 0, err
	}
	if at == nil {
		return now, nil
	}
	if *at < now {
		return 0, fmt.Errorf("%w effective_from: %d is before the block time %d; history cannot be rewritten", errInvalid, *at, now)
	}
	return *at, nil
}

func executeRotateDeviceKey(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	m, o, err := decodeAsAdmin[rotateDeviceKeyMsg](deps, "rotate_device_key", body, sender)
	if err != nil {
		return nil, err
	}
	if err := validateDeviceKey(deps, m.Key.Type, m.Key.Value); err != nil {
		return nil, err
	}
	d, err := loadDevice(deps.Storage, o.ID, m.DeviceID)
	if err != nil {
		return nil, err
	}
	at, err := effectiveFrom(env, m.EffectiveFrom)
	if err != nil {
		return nil, err
	}
	if err := rotate(&d, m.Key, at); err != nil {
		return nil, err
	}
	return d, devices.Save(deps.Storage, orgKey(o.ID, d.ID), d)
}

// rotate ends d's current key at at and makes key current from then.
func rotate(d *Device, key PublicKey, at Time) error {
	if d.RevokedAt != nil {
		return fmt.Errorf("%w: device %s is revoked from %d", errInvalid, d.ID, *d.RevokedAt)
	}
	if len(d.Keys) >= maxDeviceKeys {
		return fmt.Errorf("%w: device %s has the maximum of %d keys", errInvalid, d.ID, maxDeviceKeys)
	}
	for _, k := range d.Keys {
		if k.Type == key.Type && bytes.Equal(k.PublicKey, key.Value) {
			return fmt.Errorf("%w key: device %s has used this key before (from %d)", errInvalid, d.ID, k.ValidFrom)
		}
	}
	cur := &d.Keys[len(d.Keys)-1]
	if at <= cur.ValidFrom {
		return fmt.Errorf("%w effective_from: %d is not after the current key's start %d", errInvalid, at, cur.ValidFrom)
	}
	end := at
	cur.ValidUntil = &end
	d.Keys = append(d.Keys, DeviceKey{Type: key.Type, PublicKey: key.Value, ValidFrom: at})
	return nil
}

func executeRevokeDevice(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	m, o, err := decodeAsAdmin[revokeDeviceMsg](deps, "revoke_device", body, sender)
	if err != nil {
		return nil, err
	}
	d, err := loadDevice(deps.Storage, o.ID, m.DeviceID)
	if err != nil {
		return nil, err
	}
	if d.RevokedAt != nil {
		return nil, fmt.Errorf("%w: device %s is already revoked from %d", errInvalid, d.ID, *d.RevokedAt)
	}
	at, err := effectiveFrom(env, m.EffectiveFrom)
	if err != nil {
		return nil, err
	}
	d.RevokedAt = &at
	return d, devices.Save(deps.Storage, orgKey(o.ID, d.ID), d)
}

// keyAt is the device's key valid at t, or nil and why there is none.
func (d Device) keyAt(t Time) (*DeviceKey, string) {
	if d.RevokedAt != nil && t >= *d.RevokedAt {
		return nil, "revoked"
	}
	for i := len(d.Keys) - 1; i >= 0; i-- {
		k := d.Keys[i]
		if k.ValidFrom <= t && (k.ValidUntil == nil || t < *k.ValidUntil) {
			return &k, ""
		}
	}
	return nil, "no key registered at that time"
}
