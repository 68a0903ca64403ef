package locale

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
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
	args := allArgs()
	for _, lang := range Languages {
		for _, id := range b.IDs() {
			// Every plural form: Arabic has six.
			for _, n := range []int{0, 1, 2, 3, 11, 100} {
				got := b.N(lang, id, n, args)
				if got == id || got == "" {
					t.Errorf("%s/%s (%d) did not render", lang, id, n)
				}
				if strings.Contains(got, "<no value>") {
					t.Errorf("%s/%s (%d) uses data it is not given: %q", lang, id, n, got)
				}
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
		text := b.N("ar", id, 3, allArgs())
		for _, line := range strings.Split(text, "\n") {
			switch first := firstStrong(line); {
			case first == 0 && strings.Contains(line, fsi):
				// Values alone: without a mark the line would read left to right.
				t.Errorf("ar/%s: line %q has values and no letter: start it with U+200F", id, line)
			case first != 0 && first != rlm && !unicode.Is(unicode.Arabic, first):
				t.Errorf("ar/%s: line %q starts with %q, not an Arabic letter", id, line, first)
			}
		}
	}
}

// rlm is the right-to-left mark: a line starting with it reads right to left.
const rlm = '\u200f'

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
		case r == rlm:
			return r
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

func TestTheLeastIntRenders(t *testing.T) {
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages {
		if got := b.N(lang, "post.header_items", math.MinInt); !strings.Contains(got, "-9223372036854775808") {
			t.Errorf("%s: %q", lang, got)
		}
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

// allArgs fills every placeholder the texts use.
func allArgs() Args {
	a := Args{}
	for _, k := range []string{"Name", "Shop", "Max", "Price", "List", "Title", "When", "N", "Total", "Currency",
		"Example", "Week", "Status", "Stock", "Items", "Publish", "Close", "Date", "Done", "Rule",
		"Item", "Left", "Code", "Amount", "Deadline", "Phone", "Address", "Note", "Wanted", "Customer", "Other",
		"Filter", "Text", "Who", "Pickup", "Paid", "Awaiting", "Orders", "Revenue", "Average", "New", "Returning", "Sent", "Blocked", "Failed", "Languages", "Rows", "Channel", "Reason", "Button",
		"Quantity", "Units", "Split", "Command", "Description"} {
		a[k] = "x"
	}
	return a
}

var placeholderRe = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// A translation must use the same values as the English text: one that drops the price
// or the order code is wrong even if it reads well.
func TestTranslationsUseTheSamePlaceholders(t *testing.T) {
	raw := map[string]map[string]any{}
	for _, lang := range Languages {
		data, err := files.ReadFile("messages/" + lang + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := toml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		raw[lang] = m
	}
	names := func(v any) string {
		set := map[string]bool{}
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				for _, m := range placeholderRe.FindAllStringSubmatch(v, -1) {
					set[m[1]] = true
				}
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(v)
		var out []string
		for k := range set {
			if k != "Count" {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	for id, en := range raw["en"] {
		want := names(en)
		for _, lang := range Languages[1:] {
			if got := names(raw[lang][id]); got != want {
				t.Errorf("%s/%s uses {%s}, English uses {%s}", lang, id, got, want)
			}
		}
	}
}

// A command in an Arabic text is isolated (FSI … PDI): bare, its slash shows on the wrong
// side in a right-to-left line ("schedule/").
func TestArabicCommandsAreIsolated(t *testing.T) {
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	bare := regexp.MustCompile(`(^|[^\x{2068}<\w])/[a-z]+`)
	for _, id := range b.IDs() {
		if text := b.N("ar", id, 3, allArgs()); bare.MatchString(text) {
			t.Errorf("ar/%s: a command without isolates: %q", id, text)
		}
	}
}

// A value in <code>, which people copy (an order code for a transfer's note), is isolated
// outside the tag in Arabic, so that the copy is the value alone.
func TestArabicCodeIsIsolatedOutsideItsTag(t *testing.T) {
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	got := b.T("ar", "payment.details", Args{"Amount": "150.000 ₫", "Code": "GPT33", "Deadline": "x"})
	if !strings.Contains(got, fsi+"<code>GPT33</code>"+pdi) || strings.Contains(got, "<code>"+fsi) {
		t.Errorf("payment details: %q", got)
	}
	if got := b.T("en", "payment.details", Args{"Amount": "1", "Code": "GPT33", "Deadline": "x"}); !strings.Contains(got, "<code>GPT33</code>") {
		t.Errorf("English payment details: %q", got)
	}
	for in, want := range map[string]string{
		"<code>" + fsi + "A" + pdi + "</code>":                         fsi + "<code>A</code>" + pdi,
		"<pre>" + fsi + "A" + pdi + "</pre>":                           fsi + "<pre>A</pre>" + pdi,
		"<code>" + fsi + "A" + pdi + "</pre>":                          "<code>" + fsi + "A" + pdi + "</pre>", // not a pair
		"<code>" + fsi + "A" + pdi + "-" + fsi + "B" + pdi + "</code>": "<code>" + fsi + "A" + pdi + "-" + fsi + "B" + pdi + "</code>",
		"<code>" + fsi + "<b>A</b>" + pdi + "</code>":                  "<code>" + fsi + "<b>A</b>" + pdi + "</code>", // markup inside
		"x <code>" + fsi + "A" + pdi + "</code> y <code>" + fsi + "B" + pdi + "</code> <pre>" + fsi + "C" + pdi + "</pre>": "x " +
			fsi + "<code>A</code>" + pdi + " y " + fsi + "<code>B</code>" + pdi + " " + fsi + "<pre>C</pre>" + pdi,
		"<code>" + fsi + "A</code>" + pdi + " <code>" + fsi + "B" + pdi + "</code>": "<code>" + fsi + "A</code>" + pdi + " " +
			fsi + "<code>B</code>" + pdi, // the first is not one isolated value; the second is
	} {
		if got := isolateCopyable(in); got != want {
			t.Errorf("%q became %q, want %q", in, isolateCopyable(in), want)
		}
	}
}

// The texts are rendered without go-i18n's templates; they must read exactly as go-i18n
// renders them (which is how they were rendered before): in every language and one not
// supported, for every text and every plural form, with counts huge and negative, with a
// value missing, and with values given in several Args.
func TestTextsReadAsGoI18nRendersThem(t *testing.T) {
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ref := i18n.NewBundle(language.English)
	ref.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	plural := map[string]bool{} // as go-i18n took it: a text with plural forms in any language
	for _, lang := range Languages {
		mf, err := ref.LoadMessageFileFS(files, "messages/"+lang+".toml")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mf.Messages {
			plural[m.ID] = plural[m.ID] || m.One != "" || m.Few != "" || m.Many != ""
		}
	}
	// render is go-i18n's rendering, as Bundle.render did it.
	render := func(lang, id string, count any, args []Args) string {
		data := map[string]any{}
		for _, a := range args {
			for k, v := range a {
				data[k] = b.value(lang, v)
			}
		}
		config := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
		if count != nil {
			data["Count"] = b.value(lang, count)
			if plural[id] {
				config.PluralCount = count
			}
		}
		out, err := i18n.NewLocalizer(ref, lang).Localize(config)
		if err != nil {
			return id
		}
		if RTL(lang) {
			out = isolateCopyable(out)
		}
		return out
	}
	for _, lang := range append(slices.Clone(Languages), "fr") {
		for _, id := range append(b.IDs(), "no.such.text") {
			names := placeholders(t, Match(lang, "en"), id)
			args := Args{}
			for i, name := range names {
				args[name] = fmt.Sprintf("%s<%d>", name, i)
			}
			if got, want := b.T(lang, id, args), render(lang, id, nil, []Args{args}); got != want {
				t.Errorf("%s %s: T = %q, go-i18n %q", lang, id, got, want)
			}
			for _, n := range counts {
				if got, want := b.N(lang, id, n, args), render(lang, id, n, []Args{args}); got != want {
					t.Errorf("%s %s (%d): N = %q, go-i18n %q", lang, id, n, got, want)
				}
			}
			if len(names) == 0 {
				continue
			}
			// The first value missing, the last given twice: the later Args wins.
			split := []Args{{names[len(names)-1]: "earlier"}, {}}
			for _, name := range names[1:] {
				split[1][name] = args[name]
			}
			if got, want := b.T(lang, id, split...), render(lang, id, nil, split); got != want {
				t.Errorf("%s %s with %v: T = %q, go-i18n %q", lang, id, split, got, want)
			}
		}
	}
}

// counts cover every plural rule of the languages (Arabic's reach to n % 100 = 99), and
// counts huge and negative (math.MinInt aside: go-i18n's sign flip overflows there).
var counts = func() []int {
	ns := []int{200, 201, 202, 203, 211, 1000, 1001, 1002, 1003, 1011, 1099, 10_000_000, 10_000_001, 10_000_002,
		-1, -2, -3, -11, -101, math.MaxInt}
	for n := range 112 {
		ns = append(ns, n)
	}
	return ns
}()

// placeholders are the names text id uses in lang, in every plural form.
func placeholders(t *testing.T, lang, id string) []string {
	t.Helper()
	data, err := files.ReadFile("messages/" + lang + ".toml")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range placeholderRe.FindAllStringSubmatch(fmt.Sprint(raw[id]), -1) {
		names = append(names, m[1])
	}
	return names
}

func TestOnlyPlaceholdersCompile(t *testing.T) {
	for _, s := range []string{"{{if .X}}y{{end}}", "{{ .X }}", "{{.X | printf}}", "a {{", "{{.X}"} {
		if _, err := compile(s); err == nil {
			t.Errorf("compile(%q) accepted it", s)
		}
	}
	got, err := compile("a {{.X}}{{.Y}} b")
	if err != nil || len(got) != 4 || got[1].name != "X" || got[2].name != "Y" || got[3].literal != " b" {
		t.Errorf("compile = %+v, %v", got, err)
	}
}

func BenchmarkT(b *testing.B) {
	bundle, err := New()
	if err != nil {
		b.Fatal(err)
	}
	args := Args{"Code": "A7K2Q", "Amount": "120,000 ₫", "Deadline": "Sunday 20:00"}
	for _, lang := range Languages {
		b.Run(lang, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bundle.T(lang, "payment.details", args)
			}
		})
	}
}
