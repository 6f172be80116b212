package model

import (
	"reflect"
	"strings"
	"testing"
)

const (
	hexA   = "0123456789abcdef0123456789abcdef"
	hexB   = "fedcba9876543210fedcba9876543210"
	digest = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
	pemKey = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE\n-----END PUBLIC KEY-----\n"
	when   = "2027-01-01T00:00:00Z"
)

// requestCase is a valid request and mutations of it that Validate must
// refuse, each named for the rule it breaks.
type requestCase struct {
	name    string
	valid   func() Validator
	invalid map[string]func(Validator)
}

func requestCases() []requestCase {
	key := func(r string) WrappedKey { return WrappedKey{Recipient: r, Mode: EncryptAsymmetric, Key: "AAEC"} }
	return []requestCase{
		{"MemberApplication", func() Validator {
			return &MemberApplication{ID: "MarketMSP", Name: "市场监管局", Kind: MemberDepartment, Department: DeptMarket, PublicKey: pemKey}
		}, map[string]func(Validator){
			"bad id":         func(v Validator) { v.(*MemberApplication).ID = "bad id" },
			"no name":        func(v Validator) { v.(*MemberApplication).Name = "" },
			"unknown kind":   func(v Validator) { v.(*MemberApplication).Kind = "club" },
			"unknown dept":   func(v Validator) { v.(*MemberApplication).Department = "zoo" },
			"key not PEM":    func(v Validator) { v.(*MemberApplication).PublicKey = "abc" },
			"name too long":  func(v Validator) { v.(*MemberApplication).Name = strings.Repeat("名", MaxTextLen+1) },
			"name bad utf-8": func(v Validator) { v.(*MemberApplication).Name = "\xff" },
		}},
		{"MemberReview", func() Validator {
			return &MemberReview{Member: "MarketMSP", Approve: true, Permissions: []Permission{PermNode}}
		}, map[string]func(Validator){
			"bad member":             func(v Validator) { v.(*MemberReview).Member = "" },
			"subject permission":     func(v Validator) { v.(*MemberReview).Permissions = []Permission{PermTransact} },
			"reject with permission": func(v Validator) { v.(*MemberReview).Approve = false },
		}},
		{"MemberChange", func() Validator {
			return &MemberChange{Member: "MarketMSP", Permissions: []Permission{PermContract}, Note: "why"}
		}, map[string]func(Validator){
			"no note":        func(v Validator) { v.(*MemberChange).Note = "" },
			"bad permission": func(v Validator) { v.(*MemberChange).Permissions = []Permission{"root"} },
			"bad member":     func(v Validator) { v.(*MemberChange).Member = "-x" },
		}},
		{"NodeAdmission", func() Validator {
			return &NodeAdmission{Member: "MarketMSP", Name: "peer0", Kind: NodeTransaction, Endpoint: "peer0.market:7051", TLSCertDigest: digest}
		}, map[string]func(Validator){
			"bad kind":    func(v Validator) { v.(*NodeAdmission).Kind = "miner" },
			"no endpoint": func(v Validator) { v.(*NodeAdmission).Endpoint = "" },
			"bad digest":  func(v Validator) { v.(*NodeAdmission).TLSCertDigest = "abc" },
			"bad name":    func(v Validator) { v.(*NodeAdmission).Name = "a/b" },
		}},
		{"NodeRetirement", func() Validator { return &NodeRetirement{Node: hexA, Note: "decommissioned"} },
			map[string]func(Validator){
				"bad node": func(v Validator) { v.(*NodeRetirement).Node = "peer0" },
				"no note":  func(v Validator) { v.(*NodeRetirement).Note = "" },
			}},
		{"SubjectApplication", func() Validator {
			return &SubjectApplication{Kind: SubjectEnterprise, Commitments: map[string]string{CommitIdentity: digest, CommitLegalRep: digest, CommitAcceptor: digest}, PublicKey: pemKey}
		}, map[string]func(Validator){
			"bad kind":         func(v Validator) { v.(*SubjectApplication).Kind = "robot" },
			"no identity":      func(v Validator) { delete(v.(*SubjectApplication).Commitments, CommitIdentity) },
			"no legal rep":     func(v Validator) { delete(v.(*SubjectApplication).Commitments, CommitLegalRep) },
			"bad commitment":   func(v Validator) { v.(*SubjectApplication).Commitments[CommitAcceptor] = "plain name" },
			"bad commit name":  func(v Validator) { v.(*SubjectApplication).Commitments["a b"] = digest },
			"many commitments": func(v Validator) { addCommitments(v.(*SubjectApplication), 9) },
			"key not PEM":      func(v Validator) { v.(*SubjectApplication).PublicKey = "" },
		}},
		{"SubjectReview", func() Validator {
			return &SubjectReview{Subject: hexA, Approve: true, Permissions: []Permission{PermTransact}}
		},
			map[string]func(Validator){
				"bad subject":            func(v Validator) { v.(*SubjectReview).Subject = "x" },
				"member permission":      func(v Validator) { v.(*SubjectReview).Permissions = []Permission{PermNode} },
				"reject with permission": func(v Validator) { v.(*SubjectReview).Approve = false },
			}},
		{"SubjectChange", func() Validator { return &SubjectChange{Subject: hexA, Note: "court order"} },
			map[string]func(Validator){
				"no note":        func(v Validator) { v.(*SubjectChange).Note = "" },
				"bad permission": func(v Validator) { v.(*SubjectChange).Permissions = []Permission{PermMember} },
			}},
		{"SubjectKeyChange", func() Validator { return &SubjectKeyChange{Subject: hexA, PublicKey: pemKey, Note: "rotation"} },
			map[string]func(Validator){
				"bad key": func(v Validator) { v.(*SubjectKeyChange).PublicKey = "k" },
				"no note": func(v Validator) { v.(*SubjectKeyChange).Note = "" },
			}},
		{"AssetTypeDefinition", func() Validator {
			return &AssetTypeDefinition{Code: "business-licence", Name: "营业执照", Schema: `{"type":"object"}`, Issuers: []string{"MarketMSP"}, Reviewers: []string{"MarketMSP"}, SelfUpload: true}
		}, map[string]func(Validator){
			"no issuers":              func(v Validator) { v.(*AssetTypeDefinition).Issuers = nil },
			"bad issuer":              func(v Validator) { v.(*AssetTypeDefinition).Issuers = []string{"a b"} },
			"bad reviewer":            func(v Validator) { v.(*AssetTypeDefinition).Reviewers = []string{""} },
			"schema not object":       func(v Validator) { v.(*AssetTypeDefinition).Schema = "[]" },
			"self upload no reviewer": func(v Validator) { v.(*AssetTypeDefinition).Reviewers = nil },
			"bad code":                func(v Validator) { v.(*AssetTypeDefinition).Code = "" },
		}},
		{"AssetIssue", func() Validator {
			return &AssetIssue{Type: "business-licence", Owner: hexA, Issuer: "MarketMSP", Channel: ChannelDepartment, BusinessKey: "APP-1/licence",
				ContentDigest: digest, CipherDigest: digest, StorageRef: "minio://assets/" + digest, Size: 10, Encryption: EncryptAsymmetric, Keys: []WrappedKey{key(hexA)}}
		}, map[string]func(Validator){
			"bad channel":     func(v Validator) { v.(*AssetIssue).Channel = "mail" },
			"no owner key":    func(v Validator) { v.(*AssetIssue).Keys = []WrappedKey{key(hexB)} },
			"no keys":         func(v Validator) { v.(*AssetIssue).Keys = nil },
			"bad key mode":    func(v Validator) { v.(*AssetIssue).Keys[0].Mode = "rot13" },
			"key not base64":  func(v Validator) { v.(*AssetIssue).Keys[0].Key = "%%%" },
			"zero size":       func(v Validator) { v.(*AssetIssue).Size = 0 },
			"bad digest":      func(v Validator) { v.(*AssetIssue).ContentDigest = "ABC" },
			"bad encryption":  func(v Validator) { v.(*AssetIssue).Encryption = "none" },
			"no business key": func(v Validator) { v.(*AssetIssue).BusinessKey = "" },
			"owner not id":    func(v Validator) { v.(*AssetIssue).Owner = "Alice" },
		}},
		{"AssetReview", func() Validator { return &AssetReview{Asset: hexA, Approve: true} },
			map[string]func(Validator){
				"reject without note": func(v Validator) { v.(*AssetReview).Approve = false },
				"bad asset":           func(v Validator) { v.(*AssetReview).Asset = "" },
			}},
		{"AssetTransfer", func() Validator {
			return &AssetTransfer{Asset: hexA, LatestTx: "tx-1", NewOwner: hexB, Key: key(hexB), Note: "merger"}
		},
			map[string]func(Validator){
				"no latest tx":         func(v Validator) { v.(*AssetTransfer).LatestTx = "" },
				"key for someone else": func(v Validator) { v.(*AssetTransfer).Key = key(hexA) },
				"no note":              func(v Validator) { v.(*AssetTransfer).Note = "" },
			}},
		{"AssetStatusChange", func() Validator { return &AssetStatusChange{Asset: hexA, Note: "licence withdrawn"} },
			map[string]func(Validator){"no note": func(v Validator) { v.(*AssetStatusChange).Note = "" }}},
		{"GrantRequest", func() Validator {
			k := key("BankMSP")
			return &GrantRequest{Kind: KindAuthorization, Asset: hexA, Grantor: hexB, Grantee: "BankMSP", Scope: ScopeView, Purpose: "account opening", ExpiresAt: when, Push: true, GranteeKey: &k, Nonce: "n1"}
		}, map[string]func(Validator){
			"self grant":       func(v Validator) { v.(*GrantRequest).Grantee = hexB },
			"push without key": func(v Validator) { v.(*GrantRequest).GranteeKey = nil },
			"key for other":    func(v Validator) { k := key("TaxMSP"); v.(*GrantRequest).GranteeKey = &k },
			"bad scope":        func(v Validator) { v.(*GrantRequest).Scope = "own" },
			"bad expiry":       func(v Validator) { v.(*GrantRequest).ExpiresAt = "soon" },
			"no purpose":       func(v Validator) { v.(*GrantRequest).Purpose = "" },
			"bad kind":         func(v Validator) { v.(*GrantRequest).Kind = "gift" },
			"bad request":      func(v Validator) { v.(*GrantRequest).Request = "r" },
			"no nonce":         func(v Validator) { v.(*GrantRequest).Nonce = "" },
			"no expiry":        func(v Validator) { v.(*GrantRequest).ExpiresAt = "" },
		}},
		{"GrantRevocation", func() Validator { return &GrantRevocation{Grant: hexA, Note: "done"} },
			map[string]func(Validator){"no note": func(v Validator) { v.(*GrantRevocation).Note = "" }}},
		{"AuthCodeIssue", func() Validator {
			return &AuthCodeIssue{Asset: hexA, Owner: hexB, Scope: ScopeView, Purpose: "loan", Salt: hexA + hexB, Hash: digest, ExpiresAt: when}
		}, map[string]func(Validator){
			"short salt": func(v Validator) { v.(*AuthCodeIssue).Salt = "00" },
			"bad salt":   func(v Validator) { v.(*AuthCodeIssue).Salt = strings.Repeat("z", 32) },
			"bad hash":   func(v Validator) { v.(*AuthCodeIssue).Hash = "" },
			"bad scope":  func(v Validator) { v.(*AuthCodeIssue).Scope = "" },
		}},
		{"AccessRecording", func() Validator {
			return &AccessRecording{Asset: hexA, Accessor: "BankMSP", Action: AccessView, Reason: "KYC", Grant: hexB}
		}, map[string]func(Validator){
			"no reason":      func(v Validator) { v.(*AccessRecording).Reason = "" },
			"bad action":     func(v Validator) { v.(*AccessRecording).Action = "copy" },
			"grant and code": func(v Validator) { v.(*AccessRecording).AuthCode = hexA },
			"bad grant":      func(v Validator) { v.(*AccessRecording).Grant = "g" },
			"bad code":       func(v Validator) { v.(*AccessRecording).Grant = ""; v.(*AccessRecording).AuthCode = "c" },
		}},
		{"AccessRequestCreation", func() Validator {
			return &AccessRequestCreation{Asset: hexA, Requester: "BankMSP", Kind: KindDelegation, Scope: ScopeUse, Purpose: "account", DueAt: when, Nonce: "n"}
		}, map[string]func(Validator){
			"bad due":   func(v Validator) { v.(*AccessRequestCreation).DueAt = "" },
			"bad kind":  func(v Validator) { v.(*AccessRequestCreation).Kind = "" },
			"bad nonce": func(v Validator) { v.(*AccessRequestCreation).Nonce = " " },
		}},
		{"AccessRequestDenial", func() Validator { return &AccessRequestDenial{Request: hexA, Note: "no"} },
			map[string]func(Validator){"no note": func(v Validator) { v.(*AccessRequestDenial).Note = "" }}},
		{"ProcessStart", func() Validator {
			return &ProcessStart{Application: "APP-1", Item: "establishment", DefinitionDigest: digest, Applicant: hexA, Steps: []StepPlan{
				{Key: "licence", Department: "MarketMSP", LimitSeconds: 3600},
				{Key: "seal", Department: "SealMSP", DependsOn: []string{"licence"}, LimitSeconds: 3600},
				{Key: "tax", Department: "TaxMSP", DependsOn: []string{"licence"}, LimitSeconds: 3600},
			}}
		}, map[string]func(Validator){
			"no steps":       func(v Validator) { v.(*ProcessStart).Steps = nil },
			"forward dep":    func(v Validator) { v.(*ProcessStart).Steps[0].DependsOn = []string{"seal"} },
			"duplicate key":  func(v Validator) { v.(*ProcessStart).Steps[2].Key = "seal" },
			"no limit":       func(v Validator) { v.(*ProcessStart).Steps[1].LimitSeconds = 0 },
			"huge limit":     func(v Validator) { v.(*ProcessStart).Steps[1].LimitSeconds = 400 * 24 * 3600 },
			"bad applicant":  func(v Validator) { v.(*ProcessStart).Applicant = "me" },
			"bad digest":     func(v Validator) { v.(*ProcessStart).DefinitionDigest = "" },
			"too many steps": func(v Validator) { addSteps(v.(*ProcessStart), MaxSteps) },
		}},
		{"StepDecision", func() Validator {
			return &StepDecision{Process: "APP-1", Step: "licence", Approve: true, Approver: "u-42", Opinion: "符合条件", Outputs: []string{hexA}}
		}, map[string]func(Validator){
			"no opinion":   func(v Validator) { v.(*StepDecision).Opinion = "" },
			"bad output":   func(v Validator) { v.(*StepDecision).Outputs = []string{"x"} },
			"many outputs": func(v Validator) { v.(*StepDecision).Outputs = make([]string, 17) },
			"no approver":  func(v Validator) { v.(*StepDecision).Approver = "" },
		}},
		{"InterventionRequest", func() Validator {
			return &InterventionRequest{Process: "APP-1", Step: "seal", Action: InterveneExtend, Reason: "materials late", ExtendSeconds: 3600}
		}, map[string]func(Validator){
			"extend without seconds":  func(v Validator) { v.(*InterventionRequest).ExtendSeconds = 0 },
			"note with seconds":       func(v Validator) { v.(*InterventionRequest).Action = InterveneNote },
			"reassign without target": func(v Validator) { r := v.(*InterventionRequest); r.Action, r.ExtendSeconds = InterveneReassign, 0 },
			"target without reassign": func(v Validator) { v.(*InterventionRequest).NewDepartment = "TaxMSP" },
			"no reason":               func(v Validator) { v.(*InterventionRequest).Reason = "" },
			"bad action":              func(v Validator) { v.(*InterventionRequest).Action = "delete" },
		}},
		{"AuditAnchorRequest", func() Validator { return &AuditAnchorRequest{Seq: 42, Head: digest} },
			map[string]func(Validator){
				"zero seq": func(v Validator) { v.(*AuditAnchorRequest).Seq = 0 },
				"bad head": func(v Validator) { v.(*AuditAnchorRequest).Head = "x" },
			}},
		{"BundleIssue", func() Validator {
			return &BundleIssue{Process: "APP-1", Items: []BundleItem{{Step: "licence", Asset: hexA, Status: BundleIssued}, {Step: "bank", Status: BundleSkipped}}}
		}, map[string]func(Validator){
			"no items":             func(v Validator) { v.(*BundleIssue).Items = nil },
			"issued without asset": func(v Validator) { v.(*BundleIssue).Items[0].Asset = "" },
			"skipped with asset":   func(v Validator) { v.(*BundleIssue).Items[1].Asset = hexB },
			"bad status":           func(v Validator) { v.(*BundleIssue).Items[1].Status = "lost" },
			"bad asset":            func(v Validator) { v.(*BundleIssue).Items[0].Asset = "a" },
		}},
	}
}

func addCommitments(a *SubjectApplication, n int) {
	for i := 0; i < n; i++ {
		a.Commitments["extra"+string(rune('a'+i))] = digest
	}
}

func addSteps(p *ProcessStart, n int) {
	for i := 0; i < n; i++ {
		p.Steps = append(p.Steps, StepPlan{Key: "s" + string(rune('a'+i)), Department: "TaxMSP", LimitSeconds: 60})
	}
}

func TestRequests_Validate(t *testing.T) {
	for _, rc := range requestCases() {
		t.Run(rc.name, func(t *testing.T) {
			if err := rc.valid().Validate(); err != nil {
				t.Fatalf("valid request refused: %v", err)
			}
			for rule, mutate := range rc.invalid {
				v := rc.valid()
				mutate(v)
				if err := v.Validate(); !IsCode(err, CodeInvalid) {
					t.Errorf("%s: Validate() = %v, want INVALID", rule, err)
				}
			}
		})
	}
}

func TestRequests_CanonicalRoundTrip(t *testing.T) {
	for _, rc := range requestCases() {
		v := rc.valid()
		b, err := Canonical(v)
		if err != nil {
			t.Fatalf("%s: %v", rc.name, err)
		}
		fresh := newRequest(rc.name)
		if err := DecodeCanonical(string(b), fresh); err != nil {
			t.Errorf("%s: canonical bytes do not decode canonically: %v\n%s", rc.name, err, b)
		}
	}
}

// newRequest returns an empty request of the named case's type.
func newRequest(name string) Validator {
	for _, rc := range requestCases() {
		if rc.name == name {
			return reflect.New(reflect.TypeOf(rc.valid()).Elem()).Interface().(Validator)
		}
	}
	panic("unknown request " + name)
}

// FuzzDecode feeds arbitrary arguments to every request decoder: no panic,
// every failure classified INVALID, and whatever is accepted validates and
// survives a canonical round trip.
func FuzzDecode(f *testing.F) {
	for _, rc := range requestCases() {
		b, _ := Canonical(rc.valid())
		f.Add(string(b))
	}
	f.Add(`{"kind":"enterprise","commitments":null}`)
	f.Add(`{"steps":[{"key":"a","dependsOn":["a"]}]}`)
	f.Fuzz(func(t *testing.T, arg string) {
		for _, rc := range requestCases() {
			v := newRequest(rc.name)
			err := Decode(arg, v)
			if err != nil {
				if !IsCode(err, CodeInvalid) {
					t.Fatalf("%s: unclassified error %v", rc.name, err)
				}
				continue
			}
			b, err := Canonical(v)
			if err != nil {
				t.Fatalf("%s: accepted request does not encode: %v", rc.name, err)
			}
			again := newRequest(rc.name)
			if err := DecodeCanonical(string(b), again); err != nil {
				t.Fatalf("%s: accepted request fails canonical round trip: %v", rc.name, err)
			}
		}
	})
}
