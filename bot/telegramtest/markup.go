package telegramtest

import (
	"encoding/json"
	"net/url"
	"strings"
)

const (
	maxButtons      = 100
	maxButtonsInRow = 8
	maxCallbackData = 64
)

var (
	errTextButton = badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	errNoText     = badRequest("can't parse inline keyboard button: Can't find field \"text\"")
	errOneAction  = badRequest("can't parse inline keyboard button: a button must have exactly one of url and callback_data")
)

// Inline button fields the fake does not model; a bot using them should know
// its tests do not cover them.
var unsupportedButtonFields = []string{
	"web_app", "login_url", "switch_inline_query", "switch_inline_query_chosen_chat",
	"callback_game", "pay", "copy_text",
}

// parseMarkup reads a reply_markup parameter. Absent, null and {} mean none:
// telebot sends {} to take an inline keyboard off a message.
func parseMarkup(raw string) (*markup, *apiError) {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "null" {
		return nil, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	mk := &markup{}
	switch {
	case fields["inline_keyboard"] != nil:
		rows, err := parseInlineKeyboard(fields["inline_keyboard"])
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			return nil, nil
		}
		mk.inline = rows
	case fields["keyboard"] != nil:
		rows, err := parseReplyKeyboard(fields["keyboard"])
		if err != nil {
			return nil, err
		}
		mk.keyboard = rows
		mk.resize = jsonTrue(fields["resize_keyboard"])
		mk.oneTime = jsonTrue(fields["one_time_keyboard"])
	case fields["remove_keyboard"] != nil:
		if !jsonTrue(fields["remove_keyboard"]) {
			return nil, badRequest("can't parse reply keyboard markup JSON object")
		}
		mk.remove = true
	case fields["force_reply"] != nil:
		if !jsonTrue(fields["force_reply"]) {
			return nil, badRequest("can't parse reply keyboard markup JSON object")
		}
		mk.forceReply = true
	default:
		return nil, nil
	}
	return mk, nil
}

func jsonTrue(raw json.RawMessage) bool {
	var b bool
	return raw != nil && json.Unmarshal(raw, &b) == nil && b
}

// countButtons enforces Telegram's size limit on any keyboard.
func countButtons(rowLens []int) *apiError {
	total := 0
	for _, n := range rowLens {
		if n > maxButtonsInRow {
			return errMarkupTooLong
		}
		total += n
	}
	if total > maxButtons {
		return errMarkupTooLong
	}
	return nil
}

func parseInlineKeyboard(raw json.RawMessage) ([][]Button, *apiError) {
	var rows [][]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
	}
	lens := make([]int, len(rows))
	for i, row := range rows {
		lens[i] = len(row)
	}
	if err := countButtons(lens); err != nil {
		return nil, err
	}
	var out [][]Button
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		var buttons []Button
		for _, fields := range row {
			b, err := parseInlineButton(fields)
			if err != nil {
				return nil, err
			}
			buttons = append(buttons, b)
		}
		out = append(out, buttons)
	}
	return out, nil
}

func stringField(fields map[string]json.RawMessage, name string) (string, bool) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw), true
	}
	return s, true
}

func parseInlineButton(fields map[string]json.RawMessage) (Button, *apiError) {
	text, ok := stringField(fields, "text")
	if !ok {
		return Button{}, errNoText
	}
	if strings.TrimSpace(text) == "" {
		return Button{}, errTextButton
	}
	for _, name := range unsupportedButtonFields {
		if _, ok := fields[name]; ok {
			return Button{}, badRequest("can't parse inline keyboard button: %s buttons are not supported by the fake", name)
		}
	}
	// telebot always sends switch_inline_query_current_chat, empty unless set.
	if q, _ := stringField(fields, "switch_inline_query_current_chat"); q != "" {
		return Button{}, badRequest("can't parse inline keyboard button: switch_inline_query_current_chat buttons are not supported by the fake")
	}
	link, hasURL := stringField(fields, "url")
	data, hasData := stringField(fields, "callback_data")
	switch {
	case hasURL && hasData:
		return Button{}, errOneAction
	case hasData:
		if len(data) < 1 || len(data) > maxCallbackData {
			return Button{}, errButtonData
		}
		return Button{Text: text, Data: data}, nil
	case hasURL:
		if err := checkButtonURL(link); err != nil {
			return Button{}, err
		}
		return Button{Text: text, URL: link}, nil
	}
	return Button{}, errTextButton
}

// checkButtonURL accepts what Telegram accepts: http(s) links to a public
// host name (a scheme may be left out) and tg:// links.
func checkButtonURL(link string) *apiError {
	u, err := url.Parse(link)
	if err == nil && u.Scheme == "" {
		u, err = url.Parse("http://" + link)
	}
	if err != nil {
		return badRequest("inline keyboard button URL '%s' is invalid: Wrong HTTP URL", link)
	}
	switch strings.ToLower(u.Scheme) {
	case "tg":
		return nil
	case "http", "https":
		host := strings.ToLower(u.Hostname())
		if host == "" || host == "localhost" || !strings.Contains(host, ".") || strings.HasSuffix(host, ".") {
			return badRequest("inline keyboard button URL '%s' is invalid: Wrong HTTP URL", link)
		}
		return nil
	}
	return badRequest("inline keyboard button URL '%s' is invalid: Unsupported URL protocol", link)
}

func parseReplyKeyboard(raw json.RawMessage) ([][]KeyButton, *apiError) {
	var rows [][]json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, badRequest("field \"keyboard\" of the ReplyKeyboardMarkup must be an Array of Arrays")
	}
	lens := make([]int, len(rows))
	for i, row := range rows {
		lens[i] = len(row)
	}
	if err := countButtons(lens); err != nil {
		return nil, err
	}
	var out [][]KeyButton
	for _, row := range rows {
		var buttons []KeyButton
		for _, rawButton := range row {
			var b KeyButton
			// A plain string is a text button too.
			if err := json.Unmarshal(rawButton, &b.Text); err != nil {
				var obj struct {
					Text            *string `json:"text"`
					RequestContact  bool    `json:"request_contact"`
					RequestLocation bool    `json:"request_location"`
				}
				if err := json.Unmarshal(rawButton, &obj); err != nil || obj.Text == nil {
					return nil, badRequest("can't parse keyboard button: Can't find field \"text\"")
				}
				b = KeyButton{Text: *obj.Text, RequestContact: obj.RequestContact, RequestLocation: obj.RequestLocation}
			}
			if strings.TrimSpace(b.Text) == "" {
				return nil, badRequest("can't parse keyboard button: text must be non-empty")
			}
			buttons = append(buttons, b)
		}
		if len(buttons) > 0 {
			out = append(out, buttons)
		}
	}
	if len(out) == 0 {
		return nil, badRequest("keyboard must be non-empty")
	}
	return out, nil
}
