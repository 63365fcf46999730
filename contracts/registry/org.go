package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/hermetic-chain/hermetic/contract"
)

// orgIDDomain separates the hash organisation ids are made from.
const orgIDDomain = "hermetic/registry/org/v1\x00"

// newOrgID is the id of the organisation creator creates under name: the
// first 16 bytes, hex, of SHA-256(domain ‖ lp(creator) ‖ name). Two
// creators never collide, so whether an id is taken tells nobody anything
// about another's organisations.
func newOrgID(creator, name string) string {
	h := sha256.New()
	h.Write([]byte(orgIDDomain))
	h.Write([]byte(lp(creator)))
	h.Write([]byte(name))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// loadOrgAsAdmin returns the organisation if who is one of its admins.
// An organisation that does not exist gets the same refusal as one that
// who does not administer, so the answer tells a stranger nothing.
func loadOrgAsAdmin(deps contract.Deps, orgID, who string) (Org, error) {
	if err := validateOrgID(orgID); err != nil {
		return Org{}, err
	}
	o, found, err := orgs.MayLoad(deps.Storage, orgID)
	if err != nil {
		return Org{}, fmt.Errorf("organisation %s: %w", orgID, err)
	}
	if !found || !slices.Contains(o.Admins, who) {
		return Org{}, fmt.Errorf("%w: %s is not an admin of organisation %s", errUnauthorized, who, orgID)
	}
	return o, nil
}

// orgScoped is a message about one organisation.
type orgScoped interface{ org() string }

// decodeAsAdmin decodes the body of execute message name into an M and
// loads the organisation it is about, which sender must administer
// (loadOrgAsAdmin).
func decodeAsAdmin[M orgScoped](deps contract.Deps, name string, body []byte, sender string) (M, Org, error) {
	var m M
	if err := decode(name, body, &m); err != nil {
		return m, Org{}, err
	}
	o, err := loadOrgAsAdmin(deps, m.org(), sender)
	return m, o, err
}

func isGateway(s contract.Storage, orgID, who string) bool {
	return gateways.Has(s, orgKey(orgID, who))
}

func executeCreateOrg(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	var m createOrgMsg
	if err := decode("create_org", body, &m); err != nil {
		return nil, err
	}
	if err := validateText("name", m.Name, 1, maxNameLen); err != nil {
		return nil, err
	}
	now, err := blockTime(env)
	if err != nil {
		return nil, err
	}
	id := newOrgID(sender, m.Name)
	if orgs.Has(deps.Storage, id) {
		return nil, fmt.Errorf("%w name: you already created an organisation named %q (%s)", errInvalid, m.Name, id)
	}
	o := Org{ID: id, Name: m.Name, Creator: sender, Admins: []string{sender}, CreatedAt: now}
	if err := orgs.Save(deps.Storage, id, o); err != nil {
		return nil, err
	}
	return map[string]string{"org_id": id}, nil
}

func executeAddAdmin(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	return changeAdmins(deps, "add_admin", body, sender, func(o *Org, admin string, i int, found bool) error {
		if found {
			return fmt.Errorf("%w admin: %s is already an admin of organisation %s", errInvalid, admin, o.ID)
		}
		if len(o.Admins) >= maxAdmins {
			return fmt.Errorf("%w admin: organisation %s has the maximum of %d admins", errInvalid, o.ID, maxAdmins)
		}
		o.Admins = slices.Insert(o.Admins, i, admin)
		return nil
	})
}

func executeRemoveAdmin(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	return changeAdmins(deps, "remove_admin", body, sender, func(o *Org, admin string, i int, found bool) error {
		if !found {
			return fmt.Errorf("%w: %s is not an admin of organisation %s", errNotFound, admin, o.ID)
		}
		if len(o.Admins) == 1 {
			return fmt.Errorf("%w admin: %s is the last admin of organisation %s; an organisation keeps at least one", errInvalid, admin, o.ID)
		}
		o.Admins = slices.Delete(o.Admins, i, i+1)
		return nil
	})
}

// changeAdmins runs an adminMsg (add_admin, remove_admin) of sender, an
// admin of its organisation: change gets the organisation, the admin the
// message names and where that admin is, or would be, in the sorted
// admins (found if there), and changes o.Admins or refuses. The changed
// organisation is saved and answered (orgAnswer).
func changeAdmins(deps contract.Deps, name string, body []byte, sender string, change func(o *Org, admin string, i int, found bool) error) (any, error) {
	m, o, err := decodeAsAdmin[adminMsg](deps, name, body, sender)
	if err != nil {
		return nil, err
	}
	admin, err := address(deps, "admin", m.Admin)
	if err != nil {
		return nil, err
	}
	i, found := slices.BinarySearch(o.Admins, admin)
	if err := change(&o, admin, i, found); err != nil {
		return nil, err
	}
	return orgAnswer(o), orgs.Save(deps.Storage, o.ID, o)
}

// orgAnswer is what admin changes answer: the organisation's admins.
func orgAnswer(o Org) map[string]any {
	return map[string]any{"org_id": o.ID, "admins": o.Admins}
}

func executeAddGateway(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	m, o, err := decodeAsAdmin[gatewayMsg](deps, "add_gateway", body, sender)
	if err != nil {
		return nil, err
	}
	gw, err := address(deps, "gateway", m.Gateway)
	if err != nil {
		return nil, err
	}
	if isGateway(deps.Storage, o.ID, gw) {
		return nil, fmt.Errorf("%w gateway: %s is already a gateway of organisation %s", errInvalid, gw, o.ID)
	}
	now, err := blockTime(env)
	if err != nil {
		return nil, err
	}
	return status, gateways.Save(deps.Storage, orgKey(o.ID, gw), Gateway{Address: gw, AddedBy: sender, AddedAt: now})
}

func executeRemoveGateway(deps contract.Deps, env contract.Env, sender string, body []byte) (any, error) {
	m, o, err := decodeAsAdmin[gatewayMsg](deps, "remove_gateway", body, sender)
	if err != nil {
		return nil, err
	}
	gw, err := address(deps, "gateway", m.Gateway)
	if err != nil {
		return nil, err
	}
	if !isGateway(deps.Storage, o.ID, gw) {
		return nil, fmt.Errorf("%w: %s is not a gateway of organisation %s", errNotFound, gw, o.ID)
	}
	gateways.Remove(deps.Storage, orgKey(o.ID, gw))
	return status, nil
}
