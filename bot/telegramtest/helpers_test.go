package telegramtest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"
)

// newBot builds a telebot client of the fake, not yet polling.
func newBot(t *testing.T, s *Server) *tele.Bot {
	t.Helper()
	b, err := tele.NewBot(tele.Settings{
		URL:         s.URL(),
		Token:       s.Token(),
		Poller:      &tele.LongPoller{Timeout: time.Second},
		Synchronous: true,
		OnError:     func(error, tele.Context) {},
	})
	if err != nil {
		t.Fatalf("NewBot: %v", err)
	}
	return b
}

// startBot runs b until the test ends.
func startBot(t *testing.T, b *tele.Bot) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Start()
	}()
	t.Cleanup(func() {
		b.Stop()
		<-done
	})
}

// answer is the Bot API envelope as a raw client sees it.
type answer struct {
	Status      int             `json:"-"`
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func decodeAnswer(t *testing.T, resp *http.Response) answer {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("decode answer %q: %v", body, err)
	}
	a.Status = resp.StatusCode
	if a.OK != (resp.StatusCode == http.StatusOK) {
		t.Fatalf("ok=%v with HTTP %d", a.OK, resp.StatusCode)
	}
	if !a.OK && a.ErrorCode != resp.StatusCode {
		t.Fatalf("error_code %d with HTTP %d", a.ErrorCode, resp.StatusCode)
	}
	return a
}

// call posts params as a JSON body with native JSON values.
func call(t *testing.T, s *Server, method string, params any) answer {
	t.Helper()
	a, err := tryCall(s, method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return a
}

// tryCall is call for goroutines other than the test's, which must not Fatal.
func tryCall(s *Server, method string, params any) (answer, error) {
	body, err := json.Marshal(params)
	if err != nil {
		return answer{}, err
	}
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/"+method, "application/json", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return answer{}, err
	}
	a.Status = resp.StatusCode
	return a, nil
}

// callForm posts params as application/x-www-form-urlencoded.
func callForm(t *testing.T, s *Server, method string, params url.Values) answer {
	t.Helper()
	resp, err := http.PostForm(s.URL()+"/bot"+s.Token()+"/"+method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return decodeAnswer(t, resp)
}

func wantOK(t *testing.T, a answer) {
	t.Helper()
	if !a.OK {
		t.Fatalf("answer %d %q, want ok", a.ErrorCode, a.Description)
	}
}

func wantError(t *testing.T, a answer, code int, description string) {
	t.Helper()
	if a.OK || a.ErrorCode != code || a.Description != description {
		t.Fatalf("answer ok=%v %d %q, want %d %q", a.OK, a.ErrorCode, a.Description, code, description)
	}
}

// rawUpdate is the part of an update the tests look at.
type rawUpdate struct {
	UpdateID      int             `json:"update_id"`
	Message       json.RawMessage `json:"message"`
	EditedMessage json.RawMessage `json:"edited_message"`
	ChannelPost   json.RawMessage `json:"channel_post"`
	CallbackQuery json.RawMessage `json:"callback_query"`
}

func getUpdates(t *testing.T, s *Server, params map[string]any) []rawUpdate {
	t.Helper()
	a := call(t, s, "getUpdates", params)
	wantOK(t, a)
	var ups []rawUpdate
	if err := json.Unmarshal(a.Result, &ups); err != nil {
		t.Fatal(err)
	}
	return ups
}

// telebotUpdates fetches pending updates decoded as telebot decodes them.
func telebotUpdates(t *testing.T, s *Server) []tele.Update {
	t.Helper()
	a := call(t, s, "getUpdates", map[string]any{})
	wantOK(t, a)
	var ups []tele.Update
	if err := json.Unmarshal(a.Result, &ups); err != nil {
		t.Fatal(err)
	}
	return ups
}

func updateIDs(ups []rawUpdate) []int {
	ids := []int{}
	for _, u := range ups {
		ids = append(ids, u.UpdateID)
	}
	return ids
}

// pngImage encodes a real PNG of the given size.
func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeader is just a PNG signature and IHDR: enough for image.DecodeConfig
// to report a size far too big to encode in a test.
func pngHeader(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grayscale
	chunk := append([]byte("IHDR"), ihdr...)
	_ = binary.Write(&buf, binary.BigEndian, uint32(len(ihdr)))
	buf.Write(chunk)
	_ = binary.Write(&buf, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return buf.Bytes()
}

// recorder collects values from handlers running on other goroutines.
type recorder[T any] struct {
	mu    sync.Mutex
	items []T
}

func (r *recorder[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items = append(r.items, v)
}

func (r *recorder[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.items...)
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
