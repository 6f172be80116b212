package main

import (
	"context"
	"fmt"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/alliance"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
)

// foundAlliance founds the consortium on the devnet of `kaiban dev` and
// admits the seven departments, each with the SM2 key the key service keeps
// for it (the key the simulated department signs its decisions with). It
// runs at every start and changes nothing once done. The operator holds every
// member permission; the departments need none to issue and decide.
func (p *platform) foundAlliance(ctx context.Context) error {
	ks, err := keys.New(p.pool, keys.Config{Logger: p.log})
	if err != nil {
		return err
	}
	rows, err := p.pool.Query(ctx, `SELECT r.code, r.member, d.name FROM registry_departments r
		JOIN identity_departments d USING (code) ORDER BY r.code`)
	if err != nil {
		return fmt.Errorf("departments to admit: %w", err)
	}
	var members []alliance.Member
	issuers := map[string]string{}
	for rows.Next() {
		var m alliance.Member
		if err := rows.Scan(&m.Department, &m.MSPID, &m.Name); err != nil {
			rows.Close()
			return fmt.Errorf("departments to admit: %w", err)
		}
		m.Kind = model.MemberDepartment
		if m.Department == model.DeptBank {
			m.Kind = model.MemberInstitution
		}
		m.Password = p.departmentKeyPassword(m.Department)
		members = append(members, m)
		issuers[m.Department] = m.MSPID
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("departments to admit: %w", err)
	}
	founder := alliance.Member{MSPID: "OperatorMSP", Name: "企业开办平台运营方", Kind: model.MemberOperator,
		Password: p.departmentKeyPassword("operator")}
	if err := alliance.Found(ctx, p.chain, ks, founder, members...); err != nil {
		return fmt.Errorf("found the consortium: %w", err)
	}
	p.started("consortium", fmt.Sprintf("%s founding, %d departments admitted on chain", founder.MSPID, len(members)))
	return p.defineDocumentTypes(ctx, founder.MSPID, issuers)
}

// governor is the chain identity that administers the alliance for the
// platform: an admin of the founding member, which holds every member
// permission.
const governor = "OperatorMSP/Admin"

// openAlliance is alliance administration (7.4.2 a, c, g; 7.4.3 e; 7.6.5)
// over the platform's chain, outbox and key service.
func (p *platform) openAlliance(ks *keys.Service) (*alliance.Service, error) {
	engine := alliance.Component{Name: "Hyperledger Fabric", Version: "gateway " + p.cfg.Chain.Endpoint,
		Detail: "a real Fabric network; its peers and orderers report their own versions (peer version)"}
	chaincodeVersion, chaincodeDetail := "as deployed", "on Fabric the chaincode definitions are set by kaiban-net cc deploy/upgrade"
	if p.devnet != "" {
		engine = alliance.Component{Name: "devnet", Version: version,
			Detail: "the embedded single-process ledger speaking Fabric's Gateway and Deliver protocols: " + p.devnet}
		chaincodeVersion, chaincodeDetail = version+" (definition 1.0)", "built into devnet from this kaiban build; devnet's chaincode definitions are version 1.0"
	}
	store := alliance.Component{Name: "object store", Version: "fs", Detail: "a local folder: " + p.cfg.Objects.Dir}
	if p.cfg.Objects.Kind == "minio" {
		store = alliance.Component{Name: "object store", Version: "MinIO/S3", Detail: p.cfg.Objects.Endpoint + " bucket " + p.cfg.Objects.Bucket + " (S3 does not report the server's version)"}
	}
	components := []alliance.Component{
		{Name: "kaiban", Version: version, Detail: buildDetail()},
		engine,
	}
	for _, cc := range []string{model.ChaincodeSubject, model.ChaincodeAsset, model.ChaincodeAuthorization, model.ChaincodeApproval} {
		components = append(components, alliance.Component{Name: "chaincode " + cc, Version: chaincodeVersion, Detail: chaincodeDetail})
	}
	components = append(components, store)
	return alliance.New(alliance.Config{Pool: p.pool, Outbox: p.outbox, Keys: ks, Chain: p.chain, Governor: governor,
		Configuration: p.cfg.MaskedJSON(), Components: components})
}

func buildDetail() string {
	v := buildVersion()
	d := v.GoVersion
	if v.Commit != nil {
		d += ", commit " + *v.Commit
	}
	return d
}
