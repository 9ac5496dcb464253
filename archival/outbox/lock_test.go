package outbox

import "testing"

// The conformance suite relies on "z" taking another stripe than "x" and "y".
func TestStripesApart(t *testing.T) {
	if z := Stripe("z"); z == Stripe("x") || z == Stripe("y") {
		t.Fatalf("stripes x=%d y=%d z=%d", Stripe("x"), Stripe("y"), Stripe("z"))
	}
}
