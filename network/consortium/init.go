package consortium

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// Init creates the consortium directory dir from opts, or completes it when an
// earlier run stopped half way: the Spec is written once, crypto material and
// member keys that exist are kept, and the derived files are rendered again.
// Re-running Init on an initialised directory with options that contradict
// its Spec is an error and changes nothing.
func Init(dir string, opts Options) (*Spec, Layout, error) {
	want, err := New(opts)
	if err != nil {
		return nil, Layout{}, err
	}
	s, l, err := Load(dir)
	var notInit *NotInitializedError
	switch {
	case errors.As(err, &notInit):
		s = want
	case err != nil:
		return nil, l, err
	default:
		if diff := s.conflicts(want); diff != "" {
			return nil, l, fmt.Errorf("%s is already initialised with %s; init does not change an existing consortium (use member add, node add, ...)", dir, diff)
		}
	}
	if err := Materialize(l, s); err != nil {
		return nil, l, err
	}
	return s, l, Save(l, s)
}

// Materialize writes what the Spec needs on disk that is not yet there —
// crypto material, member keys — and renders the derived files.
func Materialize(l Layout, s *Spec) error {
	if err := s.Validate(); err != nil {
		return err
	}
	var orgs []cryptogen.OrgSpec
	for _, o := range append([]*Org{&s.Orderer}, orgPointers(s)...) {
		orgs = append(orgs, CryptoOrg(s, o))
	}
	if err := cryptogen.Generate(l.Dir, orgs); err != nil {
		return err
	}
	for i := range s.Orgs {
		if _, err := EnsureMemberKey(l, s.Orgs[i].MSPID); err != nil {
			return err
		}
	}
	return Render(l, s)
}

func orgPointers(s *Spec) []*Org {
	var ps []*Org
	for i := range s.Orgs {
		ps = append(ps, &s.Orgs[i])
	}
	return ps
}

// conflicts names the settings in which an existing spec differs from the one
// the options of a repeated init would build, or "" when they agree. Orgs and
// nodes added after init are not conflicts.
func (s *Spec) conflicts(want *Spec) string {
	var diffs []string
	check := func(name string, have, wanted any) {
		if fmt.Sprint(have) != fmt.Sprint(wanted) {
			diffs = append(diffs, fmt.Sprintf("%s %v (not %v)", name, have, wanted))
		}
	}
	check("name", s.Name, want.Name)
	check("runtime", s.Runtime, want.Runtime)
	check("host", s.Host, want.Host)
	check("consensus", s.Consensus, want.Consensus)
	check("channel capability", s.ChannelCapability, want.ChannelCapability)
	check("channels", s.Channels, want.Channels)
	for _, o := range want.Orgs {
		if _, err := s.Org(o.MSPID); err != nil {
			diffs = append(diffs, "no organisation "+o.MSPID)
		}
	}
	return strings.Join(diffs, ", ")
}

// MemberKey is an organisation's SM2 platform key: the key its member record
// on chain names, with which it signs its member application, the assets it
// issues and the approval steps it decides.
type MemberKey struct {
	Key          *sm2.PrivateKey
	PublicKeyPEM string
}

// EnsureMemberKey loads the SM2 key of an organisation, generating it on first
// use (members/<MSPID>/sm2_sk.pem, public half in sm2_pk.pem).
func EnsureMemberKey(l Layout, mspID string) (*MemberKey, error) {
	dir := l.MemberDir(mspID)
	keyFile := filepath.Join(dir, "sm2_sk.pem")
	data, err := os.ReadFile(keyFile)
	if errors.Is(err, fs.ErrNotExist) {
		key, err := gm.GenerateKey()
		if err != nil {
			return nil, err
		}
		pem, err := gm.MarshalPrivateKeyPEM(key)
		if err != nil {
			return nil, err
		}
		pub, err := gm.MarshalPublicKeyPEM(&key.PublicKey)
		if err != nil {
			return nil, err
		}
		if err := WriteFile(filepath.Join(dir, "sm2_pk.pem"), pub, 0o644); err != nil {
			return nil, err
		}
		if err := WriteFile(keyFile, pem, 0o600); err != nil {
			return nil, err
		}
		return &MemberKey{Key: key, PublicKeyPEM: string(pub)}, nil
	}
	if err != nil {
		return nil, err
	}
	key, err := gm.ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	pub, err := gm.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	return &MemberKey{Key: key, PublicKeyPEM: string(pub)}, nil
}
