package approval

import (
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Time limits (办理时限, 7.6.6). A step becomes ready when the last of the steps
// it depends on is approved — or when the process starts, for a step without
// dependencies, or when a supervisor reopens it. Its deadline is the ready time
// plus its limit plus any extensions. A decided step keeps the values that held
// when it was decided; a pending step has them computed on every read, so the
// approvals of its parallel predecessors never have to write it.

// depFunc finds a step of the same process by key.
type depFunc func(key string) (*model.Step, error)

// stepDeps reads the steps of a process one at a time, remembering them so a
// step read twice in one transaction is read once.
func stepDeps(stub ledger.Stub, process string) depFunc {
	seen := make(map[string]*model.Step)
	return func(key string) (*model.Step, error) {
		if s, ok := seen[key]; ok {
			return s, nil
		}
		s, err := getStep(stub, process, key)
		if err != nil {
			return nil, err
		}
		seen[key] = s
		return s, nil
	}
}

// viewStep returns s as a query shows it: a decided step as stored; a pending
// one with its ready time, deadline and ready flag computed from its
// dependencies.
func viewStep(p *model.Process, s *model.Step, dep depFunc) (model.StepView, error) {
	v := model.StepView{Step: *s}
	if s.Status != model.StepPending {
		return v, nil
	}
	readyAt, ok, err := readyTime(p, s, dep)
	if err != nil || !ok {
		return v, err
	}
	v.ReadyAt = model.FormatTime(readyAt)
	v.Deadline = model.FormatTime(deadline(s, readyAt))
	v.Ready = p.Status == model.ProcessRunning
	return v, nil
}

// readyTime reports whether every dependency of s is approved and, if so, when
// the last of them was decided (the process start when s has none). A reopened
// step stores the time it was reopened, which is later than all of that.
func readyTime(p *model.Process, s *model.Step, dep depFunc) (time.Time, bool, error) {
	latest, err := model.ParseTime(p.CreatedAt)
	if err != nil {
		return time.Time{}, false, err
	}
	if s.ReadyAt != "" {
		if latest, err = model.ParseTime(s.ReadyAt); err != nil {
			return time.Time{}, false, err
		}
	}
	for _, key := range s.DependsOn {
		d, err := dep(key)
		if err != nil {
			return time.Time{}, false, err
		}
		if d.Status != model.StepApproved {
			return time.Time{}, false, nil
		}
		at, err := model.ParseTime(d.DecidedAt)
		if err != nil {
			return time.Time{}, false, err
		}
		if at.After(latest) {
			latest = at
		}
	}
	return latest, true, nil
}

// deadline is readyAt plus the step's limit and extensions.
func deadline(s *model.Step, readyAt time.Time) time.Time {
	return readyAt.Add(time.Duration(s.LimitSeconds+s.ExtensionSeconds) * time.Second)
}

// waitingFor names the first dependency of s that is not approved yet.
func waitingFor(s *model.Step, dep depFunc) (string, error) {
	for _, key := range s.DependsOn {
		d, err := dep(key)
		if err != nil {
			return "", err
		}
		if d.Status != model.StepApproved {
			return key, nil
		}
	}
	return "", nil
}
