package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxUpload is the largest multipart part the fake reads. Telegram refuses
// uploads over 50 MB; reading one byte more is enough to know.
const maxUpload = 50 << 20

// apiError is a refusal in the Bot API's own words.
type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.code, e.desc) }

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: http.StatusBadRequest, desc: "Bad Request: " + fmt.Sprintf(format, args...)}
}

// Texts telebot v3 matches byte for byte (see its errors.go), so they are kept
// in one place.
var (
	errChatNotFound   = &apiError{code: 400, desc: "Bad Request: chat not found"}
	errChatIDEmpty    = &apiError{code: 400, desc: "Bad Request: chat_id is empty"}
	errTextEmpty      = &apiError{code: 400, desc: "Bad Request: message text is empty"}
	errTooLong        = &apiError{code: 400, desc: "Bad Request: message is too long"}
	errCaptionTooLong = &apiError{code: 400, desc: "Bad Request: message caption is too long"}
	errButtonData     = &apiError{code: 400, desc: "Bad Request: BUTTON_DATA_INVALID"}
	errMarkupTooLong  = &apiError{code: 400, desc: "Bad Request: reply markup is too long"}
	errNotModified    = &apiError{code: 400, desc: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}
	errEditNotFound   = &apiError{code: 400, desc: "Bad Request: message to edit not found"}
	errCantEdit       = &apiError{code: 400, desc: "Bad Request: message can't be edited"}
	errNoTextToEdit   = &apiError{code: 400, desc: "Bad Request: there is no text in the message to edit"}
	errNoCaption      = &apiError{code: 400, desc: "Bad Request: there is no caption in the message to edit"}
	errDeleteNotFound = &apiError{code: 400, desc: "Bad Request: message to delete not found"}
	errQueryTooOld    = &apiError{code: 400, desc: "Bad Request: query is too old and response timeout expired or query ID is invalid"}
	errWrongFileID    = &apiError{code: 400, desc: "Bad Request: wrong file identifier/HTTP URL specified"}
	errFileTooBig     = &apiError{code: 400, desc: "Bad Request: file is too big"}
	errTooLarge       = &apiError{code: 413, desc: "Request Entity Too Large"}
	errBlocked        = &apiError{code: 403, desc: "Forbidden: bot was blocked by the user"}
	errNotInChannel   = &apiError{code: 403, desc: "Forbidden: bot is not a member of the channel chat"}
	errNotChanAdmin   = &apiError{code: 400, desc: "Bad Request: need administrator rights in the channel chat"}
	errUnauthorized   = &apiError{code: 401, desc: "Unauthorized"}
	errNotFound       = &apiError{code: 404, desc: "Not Found"}
	errWebhookActive  = &apiError{code: 409, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	errPollConflict   = &apiError{code: 409, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}

	// errClientGone means the caller hung up; nobody reads the answer.
	errClientGone = &apiError{code: 499, desc: "Client Closed Request"}
)

func tooManyRequests(retryAfter int) *apiError {
	return &apiError{
		code:       http.StatusTooManyRequests,
		desc:       "Too Many Requests: retry after " + strconv.Itoa(retryAfter),
		retryAfter: retryAfter,
	}
}

// upload is one file part of a multipart request.
type upload struct {
	fileName    string
	contentType string
	data        []byte
	tooLarge    bool
}

// request holds the parameters of one Bot API call whatever encoding carried
// them. Every value is kept as text: JSON strings unquoted, any other JSON
// value as its JSON text. telebot sends numbers, booleans and objects as
// strings holding JSON, other clients send native JSON; both then read alike.
type request struct {
	method string
	params map[string]string
	files  map[string]*upload
}

func (r *request) has(name string) bool {
	_, ok := r.params[name]
	return ok
}

func (r *request) str(name string) string { return r.params[name] }

func (r *request) int64(name string) (int64, bool, *apiError) {
	v, ok := r.params[name]
	if !ok || v == "" || v == "null" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		// JSON numbers such as 1e3 or 5.0 are integers too.
		f, ferr := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, false, badRequest("invalid %s specified", name)
		}
		n = int64(f)
	}
	return n, true, nil
}

func (r *request) int(name string, def int) (int, *apiError) {
	n, ok, err := r.int64(name)
	if err != nil {
		return 0, err
	}
	if !ok {
		return def, nil
	}
	return int(n), nil
}

func (r *request) bool(name string) bool {
	switch strings.ToLower(strings.TrimSpace(r.params[name])) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}

// json decodes a parameter that holds JSON; absent, empty and null leave v untouched.
func (r *request) json(name string, v any) (bool, *apiError) {
	raw, ok := r.params[name]
	if !ok || strings.TrimSpace(raw) == "" || raw == "null" {
		return false, nil
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return false, badRequest("can't parse %s JSON object", name)
	}
	return true, nil
}

// readRequest collects parameters from the query string and then from the
// body, in whichever encoding the Content-Type names.
func readRequest(r *http.Request, method string) (*request, *apiError) {
	req := &request{method: method, params: map[string]string{}, files: map[string]*upload{}}
	for k, vs := range r.URL.Query() {
		if len(vs) > 0 {
			req.params[k] = vs[0]
		}
	}
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return req, nil
	}
	mediaType, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		if err := readMultipart(req, multipart.NewReader(r.Body, ctParams["boundary"])); err != nil {
			return nil, err
		}
	case "application/x-www-form-urlencoded":
		body, err := io.ReadAll(io.LimitReader(r.Body, maxUpload))
		if err != nil {
			return nil, badRequest("can't read request body")
		}
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, badRequest("can't parse request body")
		}
		for k, vs := range values {
			if len(vs) > 0 {
				req.params[k] = vs[0]
			}
		}
	default:
		// Telegram reads a body without a usable Content-Type as JSON too.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxUpload))
		if err != nil {
			return nil, badRequest("can't read request body")
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return req, nil
		}
		if err := readJSONBody(req, body); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func readJSONBody(req *request, body []byte) *apiError {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		// telebot's Raw(method, nil) sends the JSON literal null.
		if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
			return nil
		}
		return badRequest("can't parse JSON request body")
	}
	for k, raw := range fields {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		if raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return badRequest("can't parse JSON field %s", k)
			}
			req.params[k] = s
			continue
		}
		req.params[k] = string(raw)
	}
	return nil
}

func readMultipart(req *request, mr *multipart.Reader) *apiError {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return badRequest("can't parse multipart/form-data request")
		}
		name := part.FormName()
		if !isFilePart(part) {
			value, err := io.ReadAll(io.LimitReader(part, 1<<20))
			if err != nil {
				return badRequest("can't read field %s", name)
			}
			req.params[name] = string(value)
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, maxUpload+1))
		if err != nil {
			return badRequest("can't read file %s", name)
		}
		req.files[name] = &upload{
			fileName:    part.FileName(),
			contentType: part.Header.Get("Content-Type"),
			data:        data,
			tooLarge:    len(data) > maxUpload,
		}
	}
}

// writeAnswer writes the Bot API envelope.
func writeAnswer(w http.ResponseWriter, result any, apiErr *apiError) {
	w.Header().Set("Content-Type", "application/json")
	if apiErr != nil {
		body := map[string]any{
			"ok":          false,
			"error_code":  apiErr.code,
			"description": apiErr.desc,
		}
		if apiErr.retryAfter > 0 {
			body["parameters"] = map[string]int{"retry_after": apiErr.retryAfter}
		}
		w.WriteHeader(apiErr.code)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	data, err := json.Marshal(map[string]any{"ok": true, "result": result})
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"ok":false,"error_code":500,"description":"Internal Server Error"}`))
		return
	}
	_, _ = w.Write(data)
}

// isFilePart tells a file from a plain field. telebot writes files without a
// name as filename="", which multipart.Part.FileName cannot tell from none.
func isFilePart(part *multipart.Part) bool {
	if part.Header.Get("Content-Type") != "" {
		return true
	}
	_, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
	if err != nil {
		return false
	}
	_, ok := params["filename"]
	return ok
}
