package telegramtest

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// utf16Len counts UTF-16 code units, the unit of Telegram's length limits
// and entity offsets: an emoji outside the BMP counts twice.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func parseError(format string, args ...any) *apiError {
	return badRequest("can't parse entities: "+format, args...)
}

// formatted parses text in the given parse mode and returns the plain text
// with its entities. Explicit entities apply when no parse mode is given.
func formatted(text, parseMode string, entities []wireEntity) (string, []Entity, *apiError) {
	switch strings.ToLower(parseMode) {
	case "":
		var out []Entity
		for _, e := range entities {
			out = append(out, Entity{Type: e.Type, Offset: e.Offset, Length: e.Length, URL: e.URL, Language: e.Language})
		}
		return text, out, nil
	case "html":
		return parseHTML(text)
	case "markdown", "markdownv2":
		return "", nil, badRequest("unsupported parse_mode in fake")
	default:
		return "", nil, badRequest("unsupported parse_mode")
	}
}

type openTag struct {
	name   string
	entity Entity
	skip   bool // a <code> inside <pre> only names the language
}

// parseHTML follows the Bot API's HTML rules: only the supported tags, only
// the named entities &lt; &gt; &amp; &quot; plus numeric ones, and every
// literal < or & escaped. Anything else is refused the way Telegram refuses it.
func parseHTML(src string) (string, []Entity, *apiError) {
	var (
		out      strings.Builder
		offset   int // in UTF-16 units
		stack    []openTag
		entities []Entity
	)
	for i := 0; i < len(src); {
		switch src[i] {
		case '&':
			r, n, ok := decodeEntity(src[i:])
			if !ok {
				return "", nil, parseError("unescaped \"&\" at byte offset %d (write &amp;)", i)
			}
			out.WriteRune(r)
			offset += utf16Len(string(r))
			i += n
		case '<':
			if strings.HasPrefix(src[i:], "</") {
				end := strings.IndexByte(src[i:], '>')
				if end < 0 {
					return "", nil, parseError("Unclosed end tag at byte offset %d", i)
				}
				name := strings.ToLower(strings.TrimSpace(src[i+2 : i+end]))
				if len(stack) == 0 {
					return "", nil, parseError("Unexpected end tag at byte offset %d", i)
				}
				top := stack[len(stack)-1]
				if name != top.name {
					return "", nil, parseError("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, top.name, name)
				}
				stack = stack[:len(stack)-1]
				if !top.skip && offset > top.entity.Offset {
					top.entity.Length = offset - top.entity.Offset
					entities = append(entities, top.entity)
				}
				i += end + 1
				continue
			}
			tag, next, err := parseStartTag(src, i)
			if err != nil {
				return "", nil, err
			}
			tag.entity.Offset = offset
			if tag.name == "code" {
				// <pre><code class="language-go"> is one pre entity with a language.
				if len(stack) > 0 && stack[len(stack)-1].name == "pre" {
					if lang := tag.entity.Language; lang != "" {
						stack[len(stack)-1].entity.Language = lang
					}
					tag.skip = true
				}
				tag.entity.Language = ""
			}
			stack = append(stack, tag)
			i = next
		default:
			r, n := utf8.DecodeRuneInString(src[i:])
			out.WriteRune(r)
			offset += utf16Len(string(r))
			i += n
		}
	}
	if len(stack) > 0 {
		return "", nil, parseError("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	sort.SliceStable(entities, func(a, b int) bool {
		if entities[a].Offset != entities[b].Offset {
			return entities[a].Offset < entities[b].Offset
		}
		return entities[a].Length > entities[b].Length
	})
	return out.String(), entities, nil
}

var entityTypes = map[string]string{
	"b": "bold", "strong": "bold",
	"i": "italic", "em": "italic",
	"u": "underline", "ins": "underline",
	"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
	"a":          "text_link",
	"code":       "code",
	"pre":        "pre",
	"blockquote": "blockquote",
	"tg-spoiler": "spoiler",
	"span":       "spoiler",
	"tg-emoji":   "custom_emoji",
}

func isTagNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// parseStartTag reads the tag opening at src[at] and returns it with the
// index just past its '>'.
func parseStartTag(src string, at int) (openTag, int, *apiError) {
	j := at + 1
	for j < len(src) && isTagNameByte(src[j]) {
		j++
	}
	name := strings.ToLower(src[at+1 : j])
	kind, ok := entityTypes[name]
	if !ok {
		return openTag{}, 0, parseError("Unsupported start tag \"%s\" at byte offset %d", name, at)
	}
	attrs := map[string]string{}
	for {
		for j < len(src) && isSpace(src[j]) {
			j++
		}
		if j >= len(src) {
			return openTag{}, 0, parseError("Unclosed start tag at byte offset %d", at)
		}
		if src[j] == '>' {
			j++
			break
		}
		nameStart := j
		for j < len(src) && (isTagNameByte(src[j]) || src[j] == '_') {
			j++
		}
		attr := strings.ToLower(src[nameStart:j])
		if attr == "" {
			return openTag{}, 0, parseError("Empty attribute name in the tag \"%s\" at byte offset %d", name, at)
		}
		for j < len(src) && isSpace(src[j]) {
			j++
		}
		if j >= len(src) || src[j] != '=' {
			// Boolean attributes such as <blockquote expandable>.
			attrs[attr] = ""
			continue
		}
		j++
		for j < len(src) && isSpace(src[j]) {
			j++
		}
		if j >= len(src) {
			return openTag{}, 0, parseError("Unclosed start tag at byte offset %d", at)
		}
		var raw string
		if q := src[j]; q == '"' || q == '\'' {
			end := strings.IndexByte(src[j+1:], q)
			if end < 0 {
				return openTag{}, 0, parseError("Unclosed start tag at byte offset %d", at)
			}
			raw = src[j+1 : j+1+end]
			j += end + 2
		} else {
			start := j
			for j < len(src) && !isSpace(src[j]) && src[j] != '>' {
				j++
			}
			raw = src[start:j]
		}
		attrs[attr] = decodeAttr(raw)
	}

	tag := openTag{name: name, entity: Entity{Type: kind}}
	switch name {
	case "a":
		href := attrs["href"]
		if id, ok := strings.CutPrefix(href, "tg://user?id="); ok {
			if _, err := strconv.ParseInt(id, 10, 64); err == nil {
				tag.entity.Type = "text_mention"
				break
			}
		}
		if href == "" {
			// Telegram keeps the text of a link without href and drops the link.
			tag.skip = true
		}
		tag.entity.URL = href
	case "span":
		if attrs["class"] != "tg-spoiler" {
			return openTag{}, 0, parseError("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", at)
		}
	case "code":
		if lang, ok := strings.CutPrefix(attrs["class"], "language-"); ok {
			tag.entity.Language = lang
		}
	case "blockquote":
		if _, ok := attrs["expandable"]; ok {
			tag.entity.Type = "expandable_blockquote"
		}
	}
	return tag, j, nil
}

// decodeAttr decodes the entities of an attribute value; Telegram is lenient there.
func decodeAttr(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); {
		if raw[i] == '&' {
			if r, n, ok := decodeEntity(raw[i:]); ok {
				b.WriteRune(r)
				i += n
				continue
			}
		}
		b.WriteByte(raw[i])
		i++
	}
	return b.String()
}

// decodeEntity decodes the HTML entity at the start of s.
func decodeEntity(s string) (rune, int, bool) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 12 {
		return 0, 0, false
	}
	name := s[1:end]
	switch name {
	case "lt":
		return '<', end + 1, true
	case "gt":
		return '>', end + 1, true
	case "amp":
		return '&', end + 1, true
	case "quot":
		return '"', end + 1, true
	}
	num, ok := strings.CutPrefix(name, "#")
	if !ok || num == "" {
		return 0, 0, false
	}
	base := 10
	if hex, ok := strings.CutPrefix(strings.ToLower(num), "x"); ok {
		num, base = hex, 16
	}
	v, err := strconv.ParseUint(num, base, 32)
	if err != nil || v == 0 || v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
		return 0, 0, false
	}
	return rune(v), end + 1, true
}
