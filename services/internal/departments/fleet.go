package departments

import (
	"context"
	"fmt"
	"sync"
)

// Fleet runs a simulator per department.
type Fleet struct {
	sims   map[string]*Simulator
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start runs a simulator for each of depts with cfg until ctx ends or Stop.
func Start(ctx context.Context, depts []Department, cfg Config) (*Fleet, error) {
	f := &Fleet{sims: make(map[string]*Simulator, len(depts))}
	for _, d := range depts {
		if _, dup := f.sims[d.Code]; dup {
			return nil, fmt.Errorf("departments: %s twice", d.Code)
		}
		s, err := New(d, cfg)
		if err != nil {
			return nil, err
		}
		f.sims[d.Code] = s
	}
	ctx, f.cancel = context.WithCancel(ctx)
	for _, s := range f.sims {
		f.wg.Add(1)
		go func() { defer f.wg.Done(); _ = s.Run(ctx) }()
	}
	return f, nil
}

// Simulator returns the simulator of a department, or nil.
func (f *Fleet) Simulator(code string) *Simulator { return f.sims[code] }

// Stop ends every simulator and waits for them.
func (f *Fleet) Stop() {
	f.cancel()
	f.wg.Wait()
}
