package money

import (
	"math"
	"testing"
)

func TestScale(t *testing.T) {
	tests := []struct {
		cur  string
		want int
	}{
		{"VND", 0},
		{"JPY", 0},
		{"EGP", 2},
		{"USD", 2},
		{"EUR", 2},
		{"GBP", 2},
		{"KWD", 3},
		{"BHD", 3},
		{"usd", 2},
		{" vnd ", 0},
		{"ABC", 2},
		{"", 2},
		{"DOLLAR", 2},
	}
	for _, tt := range tests {
		if got := Scale(tt.cur); got != tt.want {
			t.Errorf("Scale(%q) = %d, want %d", tt.cur, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	// Every space between a sign or code and its number is U+00A0, written out here so a
	// plain space in the output fails the test.
	tests := []struct {
		minor int64
		cur   string
		want  string
	}{
		{150000, "VND", "150.000\u00a0₫"},
		{0, "VND", "0\u00a0₫"},
		{5, "VND", "5\u00a0₫"},
		{999, "VND", "999\u00a0₫"},
		{1000, "VND", "1.000\u00a0₫"},
		{1250000, "VND", "1.250.000\u00a0₫"},
		{-150000, "VND", "-150.000\u00a0₫"},
		{9_000_000_000_000_000, "VND", "9.000.000.000.000.000\u00a0₫"},

		{25000, "EGP", "EGP\u00a0250.00"},
		{125000, "EGP", "EGP\u00a01,250.00"},
		{1, "EGP", "EGP\u00a00.01"},
		{0, "EGP", "EGP\u00a00.00"},
		{-25000, "EGP", "-EGP\u00a0250.00"},

		{1250, "USD", "$12.50"},
		{123456, "USD", "$1,234.56"},
		{5, "USD", "$0.05"},
		{0, "USD", "$0.00"},
		{-1250, "USD", "-$12.50"},
		{100000000, "USD", "$1,000,000.00"},
		{8_999_999_999_999_999, "USD", "$89,999,999,999,999.99"},
		{math.MaxInt64, "USD", "$92,233,720,368,547,758.07"},
		{math.MinInt64, "USD", "-$92,233,720,368,547,758.08"},
		{1250, "usd", "$12.50"},

		{1250, "EUR", "€12.50"},
		{1250, "GBP", "£12.50"},
		{1235, "JPY", "¥1,235"},
		{-1235, "JPY", "-¥1,235"},
		{1234567, "KWD", "KWD\u00a01,234.567"},
		{123456, "THB", "THB\u00a01,234.56"},
		{1250, "ABC", "ABC\u00a012.50"},
		{1250, "", "12.50"},
	}
	for _, tt := range tests {
		if got := Format(tt.minor, tt.cur); got != tt.want {
			t.Errorf("Format(%d, %q) = %q, want %q", tt.minor, tt.cur, got, tt.want)
		}
	}
}
