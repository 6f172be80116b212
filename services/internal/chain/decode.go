package chain

import (
	"context"
	"encoding/json"
	"fmt"
)

// EvaluateJSON evaluates a query and decodes its JSON result into a T, for
// example a model.Asset or a model.ProcessView.
func EvaluateJSON[T any](ctx context.Context, c *Contract, function string, opts ...CallOption) (T, error) {
	var v T
	out, err := c.Evaluate(ctx, function, opts...)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return v, fmt.Errorf("chain: decode %s.%s result into %T: %w", c.name, function, v, err)
	}
	return v, nil
}

// SubmitJSON submits a transaction and decodes its JSON result into a T; the
// Result tells where it committed.
func SubmitJSON[T any](ctx context.Context, c *Contract, function string, opts ...CallOption) (T, *Result, error) {
	var v T
	res, err := c.Submit(ctx, function, opts...)
	if err != nil {
		return v, nil, err
	}
	return v, res, res.Decode(&v)
}
