package handlers

import "testing"

// Languages read before a seller changed theirs are not kept after it.
func TestKeptForgottenWhileRead(t *testing.T) {
	var l kept[int64, string]
	langs, gen := l.get()
	if langs != nil {
		t.Fatalf("kept before any read: %v", langs)
	}
	l.forget() // a seller picks a language meanwhile
	l.put(map[int64]string{1: "vi"}, gen)
	if got, _ := l.get(); got != nil {
		t.Fatalf("a read from before the change was kept: %v", got)
	}
	_, gen = l.get()
	l.put(map[int64]string{1: "en"}, gen)
	got, _ := l.get()
	if got[1] != "en" {
		t.Fatalf("kept %v, want seller 1 in en", got)
	}
	got[1] = "ar" // the caller's copy
	if again, _ := l.get(); again[1] != "en" {
		t.Fatalf("a caller's change reached the kept languages: %v", again)
	}
}
