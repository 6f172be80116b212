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
