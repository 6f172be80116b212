package audit

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// column is one column of a batch, passed to insertRows as a PostgreSQL
// array. pgx's own wrapping of a slice ([]string) boxes every element into
// an interface on its way to the wire — an allocation per field of every
// row, the writer's largest share. A column hands pgx a pointer-sized cell
// per element instead, which it encodes through the codecs' Valuer
// interfaces without copying the value.
type column[T string | int64 | int32 | time.Time] struct{ v []T }

func (c column[T]) Dimensions() []pgtype.ArrayDimension {
	if c.v == nil {
		return nil
	}
	return []pgtype.ArrayDimension{{Length: int32(len(c.v)), LowerBound: 1}}
}

func (c column[T]) Index(i int) any { return cellOf(&c.v[i]) }

func (c column[T]) IndexType() any { return cellOf(new(T)) }

func cellOf[T string | int64 | int32 | time.Time](p *T) any {
	switch p := any(p).(type) {
	case *string:
		return textCell{p}
	case *int64:
		return int8Cell{p}
	case *int32:
		return int4Cell{p}
	case *time.Time:
		return timeCell{p}
	}
	panic("unreachable: column's type set")
}

type (
	textCell struct{ p *string }
	int8Cell struct{ p *int64 }
	int4Cell struct{ p *int32 }
	timeCell struct{ p *time.Time }
)

func (c textCell) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: *c.p, Valid: true}, nil
}

func (c int8Cell) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: *c.p, Valid: true}, nil
}

func (c int4Cell) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: int64(*c.p), Valid: true}, nil
}

func (c timeCell) TimestamptzValue() (pgtype.Timestamptz, error) {
	return pgtype.Timestamptz{Time: *c.p, Valid: true}, nil
}
