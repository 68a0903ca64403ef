package locale

import (
	"strings"
	"testing"
	"unicode"
)

func TestMatch(t *testing.T) {
	tests := []struct{ code, fallback, want string }{
		{"en", "vi", "en"},
		{"vi", "en", "vi"},
		{"vi-VN", "en", "vi"},
		{"AR", "en", "ar"},
		{"ar_EG", "en", "ar"},
		{"de", "vi", "vi"},
		{"", "ar", "ar"},
	}
	for _, tt := range tests {
		if got := Match(tt.code, tt.fallback); got != tt.want {
			t.Errorf("Match(%q, %q) = %q, want %q", tt.code, tt.fallback, got, tt.want)
		}
	}
}

func TestEveryTextRendersInEveryLanguage(t *testing.T) {
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.IDs()) < 10 {
		t.Fatalf("only %d texts loaded", len(b.IDs()))
	}
	args := Args{"Name": "Lan", "Shop": "Shop", "Max": 10}
	for _, lang := range Languages {
		for _, id := range b.IDs() {
			got := b.T(lang, id, args)
			if got == id || got == "" {
				t.Errorf("%s/%s did not render", lang, id)
			}
			if strings.Contains(got, "<no value>") {
				t.Errorf("%s/%s uses data it is not given: %q", lang, id, got)
			}
		}
	}
}

// Telegram picks a paragraph's direction from its first strong character, so every Arabic
// text must start with an Arabic letter (after any emoji or markup) to read right to left.
func TestArabicTextsStartRightToLeft(t *testing.T) {
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range b.IDs() {
		text := b.T("ar", id, Args{"Name": "Lan", "Shop": "Shop", "Max": 10})
		for _, line := range strings.Split(text, "\n") {
			if first := firstStrong(line); first != 0 && !unicode.Is(unicode.Arabic, first) {
				t.Errorf("ar/%s: line %q starts with %q, not an Arabic letter", id, line, first)
			}
		}
	}
}

func firstStrong(s string) rune {
	inTag, isolated := false, 0
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
		case r == '\u2068':
			isolated++
		case r == '\u2069':
			isolated--
		case inTag || isolated > 0:
		case unicode.IsLetter(r):
			return r
		}
	}
	return 0
}

func TestArgsAreEscapedAndIsolated(t *testing.T) {
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	got := b.T("en", "start.greeting", Args{"Name": "<Tom & Jerry>", "Shop": HTML("<i>x</i>")})
	if !strings.Contains(got, "&lt;Tom &amp; Jerry&gt;") || !strings.Contains(got, "<i>x</i>") {
		t.Errorf("greeting not escaped as expected: %q", got)
	}
	got = b.T("ar", "settings.too_long", Args{"Max": 3000})
	if !strings.Contains(got, "\u20683000\u2069") {
		t.Errorf("Arabic value not isolated: %q", got)
	}
}

func TestUnknownIDShowsTheID(t *testing.T) {
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if got := b.T("vi", "no.such.text"); got != "no.such.text" {
		t.Errorf("got %q", got)
	}
}
