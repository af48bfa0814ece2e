package chat

import "testing"

func TestBucketDefaults(t *testing.T) {
	b := newBucket(10, 10)
	now := int64(1_000_000)
	for i := 0; i < 10; i++ {
		if ok, _ := b.take(now); !ok {
			t.Fatalf("frame %d refused", i)
		}
	}
	ok, retry := b.take(now)
	if ok || retry != 100 {
		t.Fatalf("11th: ok %v retry %d, want refused after 100 ms", ok, retry)
	}
	// 50 ms later: half a token, still refused, 50 ms to go
	if ok, retry := b.take(now + 50); ok || retry != 50 {
		t.Fatalf("at +50: ok %v retry %d", ok, retry)
	}
	if ok, _ := b.take(now + 100); !ok {
		t.Fatal("at +100 a token is back")
	}
	if ok, _ := b.take(now + 100); ok {
		t.Fatal("only one token came back")
	}
}

func TestBucketSlowRefill(t *testing.T) {
	b := newBucket(3, 1)
	now := int64(5_000)
	for i := 0; i < 3; i++ {
		b.take(now)
	}
	if ok, retry := b.take(now + 1); ok || retry != 999 {
		t.Fatalf("ok %v retry %d, want 999", ok, retry)
	}
}

func TestBucketClockBack(t *testing.T) {
	b := newBucket(2, 10)
	b.take(1000)
	b.take(1000)
	// a clock that steps back adds nothing and does not move ts back
	if ok, retry := b.take(900); ok || retry != 100 {
		t.Fatalf("ok %v retry %d", ok, retry)
	}
	if ok, _ := b.take(1100); !ok {
		t.Fatal("refilled from ts 1000")
	}
}

func TestBucketFullAgainIsFresh(t *testing.T) {
	b := newBucket(10, 3)
	b.take(0)
	// after resetMs = ceil(1000/3) = 334 ms the state is forgotten: a full bucket again
	for i := 0; i < 10; i++ {
		if ok, _ := b.take(334); !ok {
			t.Fatalf("frame %d refused", i)
		}
	}
}
