package limiter

import "testing"

// Cases of src/core/limiter/algorithms/*.spec.ts that the vectors do not hold: the merges.
func TestMergeStates(t *testing.T) {
	tb := &Policy{Algorithm: TokenBucket, Capacity: 10, RefillPerSec: 2}
	sw := &Policy{Algorithm: SlidingWindow, Limit: 5, WindowMs: 1000}
	for _, c := range []struct {
		policy             *Policy
		mine, theirs, want State
		now                float64
	}{
		{tb, State{Tokens: 4, TS: 1000}, State{Tokens: 5, TS: 2000}, State{Tokens: 5, TS: 2000}, 1500},
		{tb, State{Tokens: 5, TS: 2000}, State{Tokens: 4, TS: 1000}, State{Tokens: 5, TS: 2000}, 2500}, // a tie keeps mine
		{tb, State{Tokens: 5, TS: 2000}, State{Tokens: 2, TS: 1000}, State{Tokens: 2, TS: 1000}, 2500},
		{tb, State{Tokens: 9, TS: 0}, State{Tokens: 10, TS: 50000}, State{Tokens: 9, TS: 0}, 60000},
		{sw, State{Start: 1000, Cur: 2, Prev: 4}, State{Start: 1000, Cur: 3, Prev: 1}, State{Start: 1000, Cur: 3, Prev: 4}, 1500},
		{sw, State{Start: 0, Cur: 4, Prev: 9}, State{Start: 1000, Cur: 1, Prev: 2}, State{Start: 1000, Cur: 1, Prev: 4}, 1200},
		{sw, State{Start: 0, Cur: 4}, State{}, State{Start: 2000}, 2500},
	} {
		if got := MergeStates(c.mine, c.theirs, c.policy, c.now); got != c.want {
			t.Errorf("MergeStates(%+v, %+v) at %v = %+v, want %+v", c.mine, c.theirs, c.now, got, c.want)
		}
	}
}

func TestSpendGoesIntoDebt(t *testing.T) {
	p := &Policy{Algorithm: TokenBucket, Capacity: 10, RefillPerSec: 10}
	s := State{Tokens: 1, TS: 0}
	if Spend(&s, p, 0, 3) || s.Tokens != -2 {
		t.Errorf("Spend: %+v", s)
	}
}
