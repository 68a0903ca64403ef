package telegramtest

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// User is a person the test acts as. Its exported fields never change.
type User struct {
	s            *Server
	ID           int64
	FirstName    string
	Username     string
	LanguageCode string
	chat         *Chat

	// Guarded by s.mu.
	blocked bool
	answers []CallbackAnswer
}

// CallbackAnswer is what the bot answered to one of the person's button presses.
type CallbackAnswer struct {
	QueryID   string
	Text      string
	ShowAlert bool
	URL       string
}

// Sent tells what a person's action created.
type Sent struct {
	UpdateID   int
	MessageID  int
	CallbackID string // for button presses
}

// User registers a person and their private chat (chat id == user id).
// Calling it again with the same id returns the same *User.
func (s *Server) User(id int64, firstName, username, languageCode string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[id]; u != nil {
		return u
	}
	u := &User{s: s, ID: id, FirstName: firstName, Username: strings.TrimPrefix(username, "@"), LanguageCode: languageCode}
	u.chat = &Chat{s: s, ID: id, Type: ChatPrivate, user: u}
	s.users[id] = u
	s.chats[id] = u.chat
	return u
}

// Channel registers a channel (ids look like -1001234567890); the bot may
// also address it as "@username".
func (s *Server) Channel(id int64, title, username string) *Chat {
	return s.addChat(id, ChatChannel, title, username)
}

// Group registers a group; ids below -10^12 make it a supergroup, as on Telegram.
func (s *Server) Group(id int64, title string) *Chat {
	kind := ChatGroup
	if id <= -1_000_000_000_000 {
		kind = ChatSupergroup
	}
	return s.addChat(id, kind, title, "")
}

func (s *Server) addChat(id int64, kind, title, username string) *Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[id]; c != nil {
		return c
	}
	c := &Chat{s: s, ID: id, Type: kind, Title: title, Username: strings.TrimPrefix(username, "@")}
	s.chats[id] = c
	if c.Username != "" {
		s.usernames[strings.ToLower(c.Username)] = c
	}
	return c
}

// RemoveBot takes the bot out of a channel, as one of its admins would: until AddBot,
// whatever the bot sends there, edits or deletes is refused with Telegram's 403.
func (c *Chat) RemoveBot() { c.setBotRights(channelGone) }

// DemoteBot leaves the bot in a channel without administrator rights: until AddBot,
// posting, editing and deleting there are refused with Telegram's 400.
func (c *Chat) DemoteBot() { c.setBotRights(channelMember) }

// AddBot makes the bot an administrator of the channel again.
func (c *Chat) AddBot() { c.setBotRights(channelAdmin) }

func (c *Chat) setBotRights(r channelRights) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.botRights = r
}

// writableLocked refuses what the bot may not do in c: write to a channel it is not an
// administrator of.
func (c *Chat) writableLocked() *apiError {
	switch {
	case c.Type != ChatChannel:
		return nil
	case c.botRights == channelGone:
		return errNotInChannel
	case c.botRights == channelMember:
		return errNotChanAdmin
	}
	return nil
}

// Recipient is the chat id, so a *Chat can be given to telebot's Send.
func (c *Chat) Recipient() string { return strconv.FormatInt(c.ID, 10) }

func (u *User) wire() *wireUser {
	return &wireUser{ID: u.ID, FirstName: u.FirstName, Username: u.Username, LanguageCode: u.LanguageCode}
}

// Recipient is the chat id, so a *User can be given to telebot's Send.
func (u *User) Recipient() string { return strconv.FormatInt(u.ID, 10) }

// Chat is the person's private chat with the bot.
func (u *User) Chat() *Chat { return u.chat }

// Messages lists what the bot sent to the person; see Chat.Messages.
func (u *User) Messages() []Message { return u.chat.Messages() }

// Next waits for the bot's next message to the person; see Chat.Next.
func (u *User) Next(t testing.TB) Message {
	t.Helper()
	return u.chat.Next(t)
}

// WaitFor waits until a bot message to the person meets pred; see Chat.WaitFor.
func (u *User) WaitFor(t testing.TB, pred func(Message) bool) Message {
	t.Helper()
	return u.chat.WaitFor(t, pred)
}

// NoMessage asserts the bot sends the person nothing new within d.
func (u *User) NoMessage(t testing.TB, d time.Duration) {
	t.Helper()
	u.chat.NoMessage(t, d)
}

// CallbackAnswers lists the bot's answers to the person's button presses.
func (u *User) CallbackAnswers() []CallbackAnswer {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return append([]CallbackAnswer(nil), u.answers...)
}

// Block makes every send to the person fail with 403 until Unblock.
func (u *User) Block() {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.blocked = true
}

// Unblock undoes Block.
func (u *User) Unblock() {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.blocked = false
}

var commandRx = regexp.MustCompile(`^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?`)

// commandEntities marks a leading /command as Telegram does; a deep-link
// payload after it stays plain text.
func commandEntities(text string) []Entity {
	cmd := commandRx.FindString(text)
	if cmd == "" {
		return nil
	}
	return []Entity{{Type: "bot_command", Offset: 0, Length: len(utf16.Encode([]rune(cmd)))}}
}

// personMessageLocked records a message a person wrote and queues its update.
func (s *Server) personMessageLocked(c *Chat, from *User, m *message, kind string) Sent {
	m.from = from
	c.addMessageLocked(m)
	id := s.enqueueLocked(kind, updateKey(c, from), s.wireMessage(m))
	return Sent{UpdateID: id, MessageID: m.id}
}

func updateKey(c *Chat, from *User) string {
	if c != nil {
		return "chat:" + strconv.FormatInt(c.ID, 10)
	}
	return "user:" + strconv.FormatInt(from.ID, 10)
}

// SendText sends the bot a text message.
func (u *User) SendText(text string) Sent {
	return u.chat.SendText(u, text)
}

// SendText sends a text message from a person into a group.
func (c *Chat) SendText(from *User, text string) Sent {
	if c.Type == ChatChannel {
		panic("telegramtest: people do not write in channels; use Post")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.personMessageLocked(c, from, &message{text: text, commandEntities: commandEntities(text)}, "message")
}

// Post publishes a channel post (a channel_post update).
func (c *Chat) Post(text string) Sent {
	if c.Type != ChatChannel {
		panic("telegramtest: Post is for channels")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	m := c.addMessageLocked(&message{text: text, commandEntities: commandEntities(text)})
	id := c.s.enqueueLocked("channel_post", updateKey(c, nil), c.s.wireMessage(m))
	return Sent{UpdateID: id, MessageID: m.id}
}

// SendPhoto sends the bot a photo; its bytes can then be fetched with getFile.
func (u *User) SendPhoto(data []byte, caption string) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	photo := u.s.personPhotoLocked(data)
	return u.s.personMessageLocked(u.chat, u, &message{photo: photo, caption: caption}, "message")
}

// SendAlbum sends the bot several photos as one album: one message update per
// photo, all sharing a media_group_id; the caption rides on the first.
func (u *User) SendAlbum(photos [][]byte, caption string) []Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	group := u.s.newMediaGroupIDLocked()
	var out []Sent
	for i, data := range photos {
		m := &message{photo: u.s.personPhotoLocked(data), mediaGroupID: group}
		if i == 0 {
			m.caption = caption
		}
		out = append(out, u.s.personMessageLocked(u.chat, u, m, "message"))
	}
	return out
}

// SendDocument sends the bot a file.
func (u *User) SendDocument(fileName, mimeType string, data []byte, caption string) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	f := u.s.addFileLocked(kindDocument, data, path.Ext(fileName))
	f.name, f.mime = fileName, mimeType
	return u.s.personMessageLocked(u.chat, u, &message{document: f, caption: caption}, "message")
}

// SendContact shares the person's own phone number, as the request_contact
// button does (user_id set to theirs).
func (u *User) SendContact(phone string) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	c := &wireContact{PhoneNumber: phone, FirstName: u.FirstName, UserID: u.ID}
	return u.s.personMessageLocked(u.chat, u, &message{contact: c}, "message")
}

// SendContactOf shares someone else's contact card: userID 0 for a person not on Telegram.
func (u *User) SendContactOf(phone, firstName string, userID int64) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	c := &wireContact{PhoneNumber: phone, FirstName: firstName, UserID: userID}
	return u.s.personMessageLocked(u.chat, u, &message{contact: c}, "message")
}

// Forward forwards a message of any chat (a channel's post, say) to the bot, with its
// text or caption and its photo or file, not its buttons.
func (u *User) Forward(t testing.TB, m Message) Sent {
	t.Helper()
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	c := u.s.chats[m.ChatID]
	var orig *message
	if c != nil {
		orig = c.findLocked(m.ID)
	}
	if orig == nil || orig.deleted {
		t.Fatalf("telegramtest: message %d in chat %d is gone; cannot forward it", m.ID, m.ChatID)
	}
	// A forward of a forward comes from where the first came from; an album's photos,
	// forwarded, are an album still.
	from, in := orig, c
	if orig.forwardOf != nil {
		from, in = orig.forwardOf, orig.forwardChat
	}
	fw := &message{text: orig.text, caption: orig.caption, entities: orig.entities, photo: orig.photo,
		document: orig.document, video: orig.video, mediaGroupID: orig.mediaGroupID, forwardOf: from, forwardChat: in}
	return u.s.personMessageLocked(u.chat, u, fw, "message")
}

// ForwardStory forwards a story of a chat (a channel's, say) to the bot: a message with
// nothing else in it.
func (u *User) ForwardStory(of *Chat) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return u.s.personMessageLocked(u.chat, u, &message{storyOf: of}, "message")
}

// ForwardPaidMedia forwards a channel's post of paid media (a photo for stars, with a
// caption) to the bot: a message telebot reads no content of.
func (u *User) ForwardPaidMedia(from *Chat, stars int, caption string) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	post := &message{id: 1, date: time.Now()}
	return u.s.personMessageLocked(u.chat, u, &message{caption: caption, paidStars: stars, forwardOf: post, forwardChat: from}, "message")
}

// ForwardPoll forwards a channel's poll, asking question with options.
func (u *User) ForwardPoll(from *Chat, question string, options ...string) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	p := &wirePoll{ID: strconv.FormatInt(time.Now().UnixNano(), 10), Question: question, IsAnonymous: true, Type: "regular"}
	for _, o := range options {
		p.Options = append(p.Options, wirePollOption{Text: o})
	}
	post := &message{id: 1, date: time.Now()}
	return u.s.personMessageLocked(u.chat, u, &message{poll: p, forwardOf: post, forwardChat: from}, "message")
}

// SendLocation shares a location.
func (u *User) SendLocation(lat, lon float64) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return u.s.personMessageLocked(u.chat, u, &message{location: &wireLocation{Latitude: lat, Longitude: lon}}, "message")
}

// SendSticker sends a sticker, something a text-only bot must cope with.
func (u *User) SendSticker() Sent {
	return u.sendFile(kindSticker, []byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "image/webp", "")
}

// SendVoice sends a short voice note.
func (u *User) SendVoice() Sent {
	return u.sendFile(kindVoice, []byte("OggS\x00voice"), "audio/ogg", "")
}

// SendVideo sends a short video, as a person filming a receipt on a screen might.
func (u *User) SendVideo() Sent {
	return u.sendFile(kindVideo, videoData, "video/mp4", "")
}

// SendVideoAlbum sends n short videos as one album.
func (u *User) SendVideoAlbum(n int) []Sent {
	u.s.mu.Lock()
	group := u.s.newMediaGroupIDLocked()
	u.s.mu.Unlock()
	var out []Sent
	for range n {
		out = append(out, u.sendFile(kindVideo, videoData, "video/mp4", group))
	}
	return out
}

var videoData = []byte("\x00\x00\x00\x18ftypmp42video")

// sendFile sends the bot a sticker, a voice note or a video (kind), in an album if group
// is set.
func (u *User) sendFile(kind string, data []byte, mime, group string) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	f := u.s.addFileLocked(kind, data, "")
	f.mime = mime
	m := &message{mediaGroupID: group}
	switch kind {
	case kindSticker:
		m.sticker = f
	case kindVoice:
		m.voice = f
	case kindVideo:
		m.video = f
	default:
		panic("telegramtest: sendFile of " + kind)
	}
	return u.s.personMessageLocked(u.chat, u, m, "message")
}

// Delete deletes a message of the private chat for both sides, as a person may: the bot
// can no longer edit it.
func (u *User) Delete(messageID int) { u.chat.Delete(messageID) }

// Delete deletes a message of the chat, as a person may in a private chat and a channel's
// admin in a channel: the bot can no longer edit it.
func (c *Chat) Delete(messageID int) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	m := c.findLocked(messageID)
	if m == nil || m.deleted {
		panic(fmt.Sprintf("telegramtest: no message %d in chat %d to delete", messageID, c.ID))
	}
	m.deleted = true
	c.s.notifyLocked()
}

// MoveLocation moves a location the person shares live (an edited_message update).
func (u *User) MoveLocation(messageID int, lat, lon float64) Sent {
	return u.edit(messageID, func(m *message) bool { return m.location != nil }, "location", func(m *message) {
		m.location = &wireLocation{Latitude: lat, Longitude: lon}
	})
}

// EditText edits one of the person's own text messages (an edited_message update).
func (u *User) EditText(messageID int, text string) Sent {
	return u.edit(messageID, func(m *message) bool { return !m.hasMedia() }, "text message", func(m *message) {
		m.text = text
		m.commandEntities = commandEntities(text)
	})
}

// edit changes one of the person's own messages, of the kind is tells (what names it),
// keeping its earlier version, and sends the bot the edited_message update.
func (u *User) edit(messageID int, is func(*message) bool, what string, change func(*message)) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	m := u.chat.findLocked(messageID)
	if m == nil || m.fromBot || !is(m) {
		panic(fmt.Sprintf("telegramtest: user %d has no %s %d to edit", u.ID, what, messageID))
	}
	m.versions = append(m.versions, m.version())
	change(m)
	m.edits++
	m.editDate = time.Now()
	u.s.notifyLocked()
	id := u.s.enqueueLocked("edited_message", updateKey(u.chat, u), u.s.wireMessage(m))
	return Sent{UpdateID: id, MessageID: m.id}
}

// Press presses the inline button labelled buttonText on bot message m, as it
// stands now, and sends the bot the callback query. It fails the test if the
// message has no such button or if the button is a link.
func (u *User) Press(t testing.TB, m Message, buttonText string) Sent {
	t.Helper()
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	c := u.s.chats[m.ChatID]
	var cur *message
	if c != nil {
		cur = c.findLocked(m.ID)
	}
	if cur == nil || cur.deleted {
		t.Fatalf("telegramtest: message %d in chat %d is gone; cannot press %q", m.ID, m.ChatID, buttonText)
	}
	var found *Button
	if cur.markup != nil {
		for _, row := range cur.markup.inline {
			for i := range row {
				if row[i].Text == buttonText {
					found = &row[i]
					break
				}
			}
		}
	}
	if found == nil {
		t.Fatalf("telegramtest: no button %q on message %s", buttonText, cur.snapshot())
	}
	if found.URL != "" {
		t.Fatalf("telegramtest: button %q opens %s; it sends no callback", buttonText, found.URL)
	}
	return u.s.callbackLocked(u, c, cur.id, cur, found.Data)
}

// PressData sends a callback query with arbitrary data about message
// messageID of the person's chat, as a tampered client could.
func (u *User) PressData(messageID int, data string) Sent {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return u.s.callbackLocked(u, u.chat, messageID, u.chat.findLocked(messageID), data)
}

type callbackQuery struct {
	id       string
	from     *User
	issued   time.Time
	answered bool
}

func (s *Server) callbackLocked(from *User, c *Chat, msgID int, m *message, data string) Sent {
	s.nextQuery++
	id := strconv.FormatInt(s.nextQuery, 10)
	s.queries[id] = &callbackQuery{id: id, from: from, issued: time.Now()}
	q := wireCallbackQuery{
		ID:           id,
		From:         *from.wire(),
		ChatInstance: strconv.FormatInt(c.ID*7919+int64(len(c.Type)), 10),
		Data:         data,
	}
	if m != nil {
		q.Message = s.wireMessage(m)
	} else {
		// A message the bot cannot see arrives with date 0, as Telegram's
		// InaccessibleMessage does.
		q.Message = &wireMessage{MessageID: msgID, Chat: s.wireChat(c)}
	}
	upd := s.enqueueLocked("callback_query", updateKey(nil, from), q)
	return Sent{UpdateID: upd, MessageID: msgID, CallbackID: id}
}

// AlbumItem is one item of an album sent with SendAlbumItems: a photo
// (Photo), a file (Document, named FileName, of type MIME), or a short video (Video).
type AlbumItem struct {
	Photo          []byte
	Document       []byte
	FileName, MIME string
	Video          bool
	Caption        string
}

// SendAlbumItems sends the bot an album of mixed items, each with its own caption; group
// names the album ("" for a new one), and is returned.
func (u *User) SendAlbumItems(group string, items []AlbumItem) (string, []Sent) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	if group == "" {
		group = u.s.newMediaGroupIDLocked()
	}
	var out []Sent
	for _, it := range items {
		m := &message{mediaGroupID: group, caption: it.Caption}
		switch {
		case it.Photo != nil:
			m.photo = u.s.personPhotoLocked(it.Photo)
		case it.Document != nil:
			f := u.s.addFileLocked(kindDocument, it.Document, path.Ext(it.FileName))
			f.name, f.mime = it.FileName, it.MIME
			m.document = f
		case it.Video:
			f := u.s.addFileLocked(kindVideo, videoData, "")
			f.mime = "video/mp4"
			m.video = f
		}
		out = append(out, u.s.personMessageLocked(u.chat, u, m, "message"))
	}
	return group, out
}
