package telegramtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Chat types, as Telegram names them.
const (
	ChatPrivate    = "private"
	ChatGroup      = "group"
	ChatSupergroup = "supergroup"
	ChatChannel    = "channel"
)

// Chat is a conversation the bot can write to: a person's private chat, a
// group or a channel. Its exported fields never change after creation.
type Chat struct {
	s        *Server
	ID       int64
	Type     string
	Title    string
	Username string
	user     *User // the person of a private chat

	// Guarded by s.mu.
	messages      []*message
	nextMessageID int
	readCursor    int // how many bot messages Next has returned
	sendBucket    *rate.Limiter
	editBucket    *rate.Limiter
	botRights     channelRights // of a channel: what the bot may do there
}

// channelRights is where the bot stands in a channel; the zero value is an admin that
// may post and edit, as a shop's bot must be.
type channelRights int

const (
	channelAdmin  channelRights = iota
	channelMember               // added, but not an administrator
	channelGone                 // removed from the channel
)

// Button is an inline keyboard button: a callback button (Data) or a link (URL).
type Button struct {
	Text string
	Data string
	URL  string
}

// KeyButton is a reply keyboard button.
type KeyButton struct {
	Text            string
	RequestContact  bool
	RequestLocation bool
}

// Entity is a formatting entity of a text or caption, offsets in UTF-16 units.
type Entity struct {
	Type     string
	Offset   int
	Length   int
	URL      string
	Language string
}

// File is a stored photo, document or other file. Data is shared with the
// fake and must not be modified.
type File struct {
	ID       string
	UniqueID string
	Name     string
	MIME     string
	Data     []byte
	Width    int
	Height   int
}

// Message is a snapshot of one message as it stood when read; safe to keep.
type Message struct {
	ID             int
	ChatID         int64
	Date           time.Time
	FromBot        bool
	FromID         int64 // the person who wrote it; 0 for the bot and channel posts
	Text           string
	Caption        string
	Entities       []Entity // of Text or Caption
	ParseMode      string
	Photo          *File
	Document       *File
	MediaGroupID   string
	ReplyTo        int // id of the message this one replies to
	InlineKeyboard [][]Button
	ReplyKeyboard  [][]KeyButton
	ResizeKeyboard bool
	OneTime        bool
	RemoveKeyboard bool
	ForceReply     bool
	Edits          int
	Versions       []Message // earlier states, oldest first
	Deleted        bool
}

// Buttons lists the inline buttons row by row.
func (m Message) Buttons() []Button {
	var out []Button
	for _, row := range m.InlineKeyboard {
		out = append(out, row...)
	}
	return out
}

// Body is the text of a text message or the caption of a media message.
func (m Message) Body() string {
	if m.Photo != nil || m.Document != nil {
		return m.Caption
	}
	return m.Text
}

// String is a one-line summary used in failure dumps.
func (m Message) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d", m.ID)
	switch {
	case m.Photo != nil:
		b.WriteString(" [photo]")
	case m.Document != nil:
		fmt.Fprintf(&b, " [document %s]", m.Document.Name)
	}
	if m.MediaGroupID != "" {
		fmt.Fprintf(&b, " [album %s]", m.MediaGroupID)
	}
	fmt.Fprintf(&b, " %q", m.Body())
	if bs := m.Buttons(); len(bs) > 0 {
		b.WriteString(" buttons:")
		for _, btn := range bs {
			fmt.Fprintf(&b, " [%s]", btn.Text)
		}
	}
	for _, row := range m.ReplyKeyboard {
		for _, k := range row {
			fmt.Fprintf(&b, " <%s>", k.Text)
		}
	}
	if m.Edits > 0 {
		fmt.Fprintf(&b, " (edited %d×)", m.Edits)
	}
	if m.Deleted {
		b.WriteString(" (deleted)")
	}
	return b.String()
}

// message is the fake's own record of a message.
type message struct {
	id              int
	chat            *Chat
	date            time.Time
	fromBot         bool
	from            *User
	text            string
	caption         string
	entities        []Entity
	parseMode       string
	photo           *storedFile
	document        *storedFile
	sticker         *storedFile
	voice           *storedFile
	video           *storedFile
	contact         *wireContact
	location        *wireLocation
	mediaGroupID    string
	replyTo         *message
	markup          *markup
	edits           int
	editDate        time.Time
	versions        []Message
	deleted         bool
	commandEntities []Entity // bot_command entities of a person's text
	storyOf         *Chat    // a story of this chat, forwarded
	paidStars       int      // paid media: a photo for this many stars
	poll            *wirePoll
	forwardOf       *message // the message this one forwards
	forwardChat     *Chat    // where that one is
}

func (m *message) hasMedia() bool {
	return m.photo != nil || m.document != nil || m.sticker != nil || m.voice != nil || m.video != nil
}

// version is the snapshot kept as an earlier state; it does not repeat the
// states before it.
func (m *message) version() Message {
	v := m.snapshot()
	v.Versions = nil
	return v
}

func (m *message) snapshot() Message {
	out := Message{
		ID:           m.id,
		ChatID:       m.chat.ID,
		Date:         m.date,
		FromBot:      m.fromBot,
		Text:         m.text,
		Caption:      m.caption,
		Entities:     append(append([]Entity(nil), m.commandEntities...), m.entities...),
		ParseMode:    m.parseMode,
		MediaGroupID: m.mediaGroupID,
		Edits:        m.edits,
		Versions:     append([]Message(nil), m.versions...),
		Deleted:      m.deleted,
	}
	if m.from != nil {
		out.FromID = m.from.ID
	}
	if m.photo != nil {
		out.Photo = m.photo.snapshot()
	}
	if m.document != nil {
		out.Document = m.document.snapshot()
	}
	if m.replyTo != nil {
		out.ReplyTo = m.replyTo.id
	}
	if mk := m.markup; mk != nil {
		for _, row := range mk.inline {
			out.InlineKeyboard = append(out.InlineKeyboard, append([]Button(nil), row...))
		}
		for _, row := range mk.keyboard {
			out.ReplyKeyboard = append(out.ReplyKeyboard, append([]KeyButton(nil), row...))
		}
		out.ResizeKeyboard = mk.resize
		out.OneTime = mk.oneTime
		out.RemoveKeyboard = mk.remove
		out.ForceReply = mk.forceReply
	}
	return out
}

func (s *Server) wireChat(c *Chat) wireChat {
	w := wireChat{ID: c.ID, Type: c.Type, Title: c.Title, Username: c.Username}
	if c.user != nil {
		w.FirstName = c.user.FirstName
		w.Username = c.user.Username
	}
	return w
}

func (s *Server) wireBot() *wireUser {
	return &wireUser{ID: s.bot.ID, IsBot: true, FirstName: s.bot.FirstName, Username: s.bot.Username}
}

// wire is the message as the Bot API shows it now.
func (s *Server) wireMessage(m *message) *wireMessage {
	w := &wireMessage{
		MessageID:    m.id,
		Date:         m.date.Unix(),
		Chat:         s.wireChat(m.chat),
		MediaGroupID: m.mediaGroupID,
		Contact:      m.contact,
		Location:     m.location,
	}
	switch {
	case m.chat.Type == ChatChannel:
		// Channel posts are signed by the channel, not by a user.
		sc := s.wireChat(m.chat)
		w.SenderChat = &sc
	case m.fromBot:
		w.From = s.wireBot()
	case m.from != nil:
		w.From = m.from.wire()
	}
	if !m.editDate.IsZero() {
		w.EditDate = m.editDate.Unix()
	}
	if m.hasMedia() {
		w.Caption = m.caption
		w.CaptionEntities = wireEntities(m.entities)
	} else {
		w.Text = m.text
		w.Entities = wireEntities(append(append([]Entity(nil), m.commandEntities...), m.entities...))
	}
	if m.photo != nil {
		if m.photo.thumb != nil {
			w.Photo = append(w.Photo, m.photo.thumb.photoSize())
		}
		w.Photo = append(w.Photo, m.photo.photoSize())
	}
	if f := m.document; f != nil {
		w.Document = &wireDocument{FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, MimeType: f.mime, FileSize: len(f.data)}
	}
	if f := m.sticker; f != nil {
		w.Sticker = &wireSticker{FileID: f.id, FileUniqueID: f.uniqueID, Type: "regular", Width: 512, Height: 512, Emoji: "👍", FileSize: len(f.data)}
	}
	if f := m.voice; f != nil {
		w.Voice = &wireVoice{FileID: f.id, FileUniqueID: f.uniqueID, Duration: 1, MimeType: f.mime, FileSize: len(f.data)}
	}
	if f := m.video; f != nil {
		w.Video = &wireVideo{FileID: f.id, FileUniqueID: f.uniqueID, Width: 720, Height: 1280, Duration: 3, MimeType: f.mime, FileSize: len(f.data)}
	}
	if ch := m.storyOf; ch != nil {
		wc := s.wireChat(ch)
		w.Story = &wireStory{Chat: wc, ID: 1}
	}
	if m.paidStars > 0 {
		w.PaidMedia = &wirePaidMediaInfo{StarCount: m.paidStars, PaidMedia: []wirePaidMedia{{Type: "preview", Width: 1280, Height: 960}}}
	}
	w.Poll = m.poll
	if f := m.forwardOf; f != nil {
		// As Telegram describes a forward since Bot API 7.0: where it came from, not who
		// forwarded it.
		o := &wireOrigin{Date: f.date.Unix()}
		if ch := m.forwardChat; ch.Type == "channel" {
			wc := s.wireChat(ch)
			o.Type, o.Chat, o.MessageID = "channel", &wc, f.id
		} else if f.from != nil {
			o.Type, o.SenderUser = "user", &wireUser{ID: f.from.ID, FirstName: f.from.FirstName, Username: f.from.Username}
		} else {
			o.Type, o.SenderUser = "user", s.wireBot()
		}
		w.ForwardOrigin = o
	}
	if m.replyTo != nil {
		r := *s.wireMessage(m.replyTo)
		r.ReplyToMessage = nil
		w.ReplyToMessage = &r
	}
	// Telegram shows only inline keyboards on a Message.
	if m.markup != nil && len(m.markup.inline) > 0 {
		w.ReplyMarkup = m.markup.inlineJSON()
	}
	return w
}

func wireEntities(es []Entity) []wireEntity {
	var out []wireEntity
	for _, e := range es {
		out = append(out, wireEntity{Type: e.Type, Offset: e.Offset, Length: e.Length, URL: e.URL, Language: e.Language})
	}
	return out
}

// addMessageLocked gives m the chat's next id and appends it.
func (c *Chat) addMessageLocked(m *message) *message {
	c.nextMessageID++
	m.id = c.nextMessageID
	m.chat = c
	if m.date.IsZero() {
		m.date = time.Now()
	}
	c.messages = append(c.messages, m)
	return m
}

func (c *Chat) findLocked(id int) *message {
	for _, m := range c.messages {
		if m.id == id {
			return m
		}
	}
	return nil
}

func (c *Chat) botMessagesLocked() []*message {
	var out []*message
	for _, m := range c.messages {
		if m.fromBot {
			out = append(out, m)
		}
	}
	return out
}

// Messages lists what the bot sent to the chat, oldest first, as it stands now
// (edited and deleted ones included).
func (c *Chat) Messages() []Message {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	var out []Message
	for _, m := range c.botMessagesLocked() {
		out = append(out, m.snapshot())
	}
	return out
}

// Message returns the current state of any message of the chat, the bot's or a person's.
func (c *Chat) Message(id int) (Message, bool) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if m := c.findLocked(id); m != nil {
		return m.snapshot(), true
	}
	return Message{}, false
}

func (c *Chat) dumpLocked() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chat %d holds:", c.ID)
	for _, m := range c.messages {
		who := "bot"
		if !m.fromBot {
			who = "them"
		}
		fmt.Fprintf(&b, "\n  %s %s", who, m.snapshot().String())
	}
	if len(c.messages) == 0 {
		b.WriteString(" nothing")
	}
	return b.String()
}

// wait calls check under the lock until it reports done or the timeout passes.
func (s *Server) wait(timeout time.Duration, check func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if check() {
			s.mu.Unlock()
			return true
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			s.mu.Lock()
			ok := check()
			s.mu.Unlock()
			return ok
		}
	}
}

// Next waits for the next bot message in the chat that Next has not returned
// yet and returns its current state. It fails the test on timeout.
func (c *Chat) Next(t testing.TB) Message {
	t.Helper()
	var got Message
	ok := c.s.wait(c.s.waitTimeout, func() bool {
		bot := c.botMessagesLocked()
		if c.readCursor >= len(bot) {
			return false
		}
		got = bot[c.readCursor].snapshot()
		c.readCursor++
		return true
	})
	if !ok {
		c.s.mu.Lock()
		dump := c.dumpLocked()
		c.s.mu.Unlock()
		t.Fatalf("telegramtest: no new bot message in chat %d within %s; %s", c.ID, c.s.waitTimeout, dump)
	}
	return got
}

// WaitFor waits until some bot message of the chat, as it stands now, meets
// pred, and returns it. Edits count, so it can wait for an edit to happen.
// pred runs without the server's lock held, so it may call the server.
func (c *Chat) WaitFor(t testing.TB, pred func(Message) bool) Message {
	t.Helper()
	deadline := time.NewTimer(c.s.waitTimeout)
	defer deadline.Stop()
	for {
		c.s.mu.Lock()
		var snaps []Message
		for _, m := range c.botMessagesLocked() {
			snaps = append(snaps, m.snapshot())
		}
		changed := c.s.changed
		c.s.mu.Unlock()
		for _, m := range snaps {
			if pred(m) {
				return m
			}
		}
		select {
		case <-changed:
		case <-deadline.C:
			c.s.mu.Lock()
			dump := c.dumpLocked()
			c.s.mu.Unlock()
			t.Fatalf("telegramtest: no bot message in chat %d met the condition within %s; %s", c.ID, c.s.waitTimeout, dump)
			return Message{}
		}
	}
}

// NoMessage fails the test if, within d, the chat holds a bot message that
// Next has not returned yet: one already waiting counts too, so a reply that
// came before the call is not missed.
func (c *Chat) NoMessage(t testing.TB, d time.Duration) {
	t.Helper()
	var extra Message
	if c.s.wait(d, func() bool {
		bot := c.botMessagesLocked()
		if c.readCursor < len(bot) {
			extra = bot[c.readCursor].snapshot()
			return true
		}
		return false
	}) {
		t.Fatalf("telegramtest: expected no new bot message in chat %d, got %s", c.ID, extra)
	}
}

// markup is a parsed reply_markup.
type markup struct {
	inline     [][]Button
	keyboard   [][]KeyButton
	resize     bool
	oneTime    bool
	remove     bool
	forceReply bool
}

func (mk *markup) inlineJSON() json.RawMessage {
	type button struct {
		Text string `json:"text"`
		Data string `json:"callback_data,omitempty"`
		URL  string `json:"url,omitempty"`
	}
	rows := make([][]button, 0, len(mk.inline))
	for _, row := range mk.inline {
		r := make([]button, 0, len(row))
		for _, b := range row {
			r = append(r, button(b))
		}
		rows = append(rows, r)
	}
	data, _ := json.Marshal(map[string]any{"inline_keyboard": rows})
	return data
}

// sameInline reports whether two markups carry the same inline keyboard.
func sameInline(a, b *markup) bool {
	var ai, bi [][]Button
	if a != nil {
		ai = a.inline
	}
	if b != nil {
		bi = b.inline
	}
	if len(ai) != len(bi) {
		return false
	}
	for i := range ai {
		if len(ai[i]) != len(bi[i]) {
			return false
		}
		for j := range ai[i] {
			if ai[i][j] != bi[i][j] {
				return false
			}
		}
	}
	return true
}

func sameEntities(a, b []Entity) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
