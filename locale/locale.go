// Package locale holds every user-facing text of the bot in English, Vietnamese and Arabic.
//
// Texts are Telegram HTML: template data is escaped, so a customer's name can never break
// the markup, and values in Arabic texts are wrapped in Unicode direction isolates so Latin
// codes, numbers and names keep their order inside right-to-left sentences.
package locale

import (
	"embed"
	"fmt"
	"html"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed messages/*.toml
var files embed.FS

// Languages are the supported language codes, the default first.
var Languages = []string{"en", "vi", "ar"}

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Match maps a Telegram language_code such as "vi-VN" to a supported language, or fallback.
func Match(code, fallback string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	if i := strings.IndexAny(code, "-_"); i >= 0 {
		code = code[:i]
	}
	if Supported(code) {
		return code
	}
	return fallback
}

// RTL reports whether lang is written right to left.
func RTL(lang string) bool { return lang == "ar" }

// HTML is template data that is already markup and must not be escaped.
type HTML string

// Args is the data a text is filled with.
type Args map[string]any

// Bundle renders texts by id.
type Bundle struct {
	localizers map[string]*i18n.Localizer
	ids        []string
	plural     map[string]bool // texts with plural forms
}

const (
	fsi = "\u2068" // first strong isolate
	pdi = "\u2069" // pop directional isolate
)

// New loads the embedded texts and checks that every language has every text.
func New() (*Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	ids := map[string][]string{}
	plural := map[string]bool{}
	for _, lang := range Languages {
		name := "messages/" + lang + ".toml"
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("locale: read %s: %w", name, err)
		}
		mf, err := b.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("locale: parse %s: %w", name, err)
		}
		for _, m := range mf.Messages {
			ids[lang] = append(ids[lang], m.ID)
			if m.One != "" || m.Few != "" || m.Many != "" {
				plural[m.ID] = true
			}
		}
		sort.Strings(ids[lang])
	}
	for _, lang := range Languages[1:] {
		if missing := diff(ids[Languages[0]], ids[lang]); len(missing) > 0 {
			return nil, fmt.Errorf("locale: %s lacks %s", lang, strings.Join(missing, ", "))
		}
		if extra := diff(ids[lang], ids[Languages[0]]); len(extra) > 0 {
			return nil, fmt.Errorf("locale: %s has texts that %s lacks: %s", lang, Languages[0], strings.Join(extra, ", "))
		}
	}
	bundle := &Bundle{localizers: map[string]*i18n.Localizer{}, ids: ids[Languages[0]], plural: plural}
	for _, lang := range Languages {
		bundle.localizers[lang] = i18n.NewLocalizer(b, lang)
	}
	return bundle, nil
}

func diff(want, have []string) []string {
	set := make(map[string]bool, len(have))
	for _, h := range have {
		set[h] = true
	}
	var out []string
	for _, w := range want {
		if !set[w] {
			out = append(out, w)
		}
	}
	return out
}

// IDs lists every text id.
func (b *Bundle) IDs() []string { return append([]string(nil), b.ids...) }

// T renders text id in lang. args are escaped for HTML (except values of type HTML).
// An unknown id renders as the id itself, so a mistake shows rather than panics;
// the package's tests make sure no such id is in use.
func (b *Bundle) T(lang, id string, args ...Args) string {
	return b.render(lang, id, nil, args)
}

// N renders text id in lang with plural forms chosen by count ({{.Count}} in the text).
func (b *Bundle) N(lang, id string, count int, args ...Args) string {
	return b.render(lang, id, count, args)
}

func (b *Bundle) render(lang, id string, count any, args []Args) string {
	loc, ok := b.localizers[lang]
	if !ok {
		loc = b.localizers[Languages[0]]
	}
	data := map[string]any{}
	for _, a := range args {
		for k, v := range a {
			data[k] = b.value(lang, v)
		}
	}
	if count != nil {
		data["Count"] = b.value(lang, count)
		if !b.plural[id] {
			count = nil // a text without plural forms takes the count as plain data
		}
	}
	out, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		return id
	}
	if RTL(lang) {
		// A value people copy (an order code to put in a transfer's note) is isolated
		// around its tag, not inside it, so the copy holds the value alone.
		out = isolateCopyable(out)
	}
	return out
}

// isolateCopyable moves the isolates of a value alone in <code> or <pre> around the tag.
func isolateCopyable(s string) string {
	for _, re := range isolatedCopyable {
		s = re.ReplaceAllString(s, fsi+"${1}${2}${3}"+pdi)
	}
	return s
}

// isolatedCopyable match a tag whose content is one isolated value.
var isolatedCopyable = []*regexp.Regexp{
	regexp.MustCompile("(<code>)" + fsi + "([^<" + fsi + pdi + "]*)" + pdi + "(</code>)"),
	regexp.MustCompile("(<pre>)" + fsi + "([^<" + fsi + pdi + "]*)" + pdi + "(</pre>)"),
}

func (b *Bundle) value(lang string, v any) string {
	var s string
	switch v := v.(type) {
	case HTML:
		s = string(v)
	case string:
		s = html.EscapeString(v)
	default:
		s = html.EscapeString(fmt.Sprint(v))
	}
	if RTL(lang) && s != "" {
		return fsi + s + pdi
	}
	return s
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

// Plain is the text Telegram shows for an HTML text: tags dropped, entities decoded.
func Plain(htmlText string) string {
	return html.UnescapeString(tagRe.ReplaceAllString(htmlText, ""))
}
