package telegramtest

import (
	"context"
	"strconv"
	"strings"
	"time"
)

const (
	maxTextLen           = 4096
	maxCaptionLen        = 1024
	maxCallbackAnswerLen = 200
	minAlbum             = 2
	maxAlbum             = 10
)

var errEditTooLong = badRequest("MESSAGE_TOO_LONG")

func (s *Server) getMe(_ context.Context, _ *request) (any, *apiError) {
	yes, no := true, false
	u := s.wireBot()
	u.CanJoinGroups = &yes
	u.CanReadAllGroupMessages = &no
	u.SupportsInlineQueries = &no
	return u, nil
}

// recipientLocked resolves chat_id to a chat the bot may write to.
func (s *Server) recipientLocked(req *request) (*Chat, *apiError) {
	c, err := s.resolveChatLocked(req.str("chat_id"))
	if err != nil {
		return nil, err
	}
	if c.user != nil && c.user.blocked {
		return nil, errBlocked
	}
	if err := c.writableLocked(); err != nil {
		return nil, err
	}
	return c, nil
}

// replyToLocked finds the message a send replies to, if it names one.
func (s *Server) replyToLocked(c *Chat, req *request) (*message, *apiError) {
	id, ok, err := req.int64("reply_to_message_id")
	if err != nil {
		return nil, err
	}
	allowMissing := req.bool("allow_sending_without_reply")
	if !ok {
		var params struct {
			MessageID                int64 `json:"message_id"`
			AllowSendingWithoutReply bool  `json:"allow_sending_without_reply"`
		}
		set, err := req.json("reply_parameters", &params)
		if err != nil {
			return nil, err
		}
		if !set || params.MessageID == 0 {
			return nil, nil
		}
		id, allowMissing = params.MessageID, params.AllowSendingWithoutReply
	}
	m := c.findLocked(int(id))
	if m == nil || m.deleted {
		if allowMissing {
			return nil, nil
		}
		return nil, badRequest("message to be replied not found")
	}
	return m, nil
}

// entitiesParam reads an explicit entities list (used when there is no parse_mode).
func entitiesParam(req *request, name string) ([]wireEntity, *apiError) {
	var es []wireEntity
	if _, err := req.json(name, &es); err != nil {
		return nil, err
	}
	return es, nil
}

func parseText(req *request) (string, []Entity, *apiError) {
	es, err := entitiesParam(req, "entities")
	if err != nil {
		return "", nil, err
	}
	return formatted(req.str("text"), req.str("parse_mode"), es)
}

func parseCaption(req *request) (string, []Entity, *apiError) {
	es, err := entitiesParam(req, "caption_entities")
	if err != nil {
		return "", nil, err
	}
	caption, entities, apiErr := formatted(req.str("caption"), req.str("parse_mode"), es)
	if apiErr != nil {
		return "", nil, apiErr
	}
	if utf16Len(caption) > maxCaptionLen {
		return "", nil, errCaptionTooLong
	}
	return caption, entities, nil
}

func checkText(text string, tooLong *apiError) *apiError {
	if strings.TrimSpace(text) == "" {
		return errTextEmpty
	}
	if utf16Len(text) > maxTextLen {
		return tooLong
	}
	return nil
}

func (s *Server) sendMessage(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.recipientLocked(req)
	if err != nil {
		return nil, err
	}
	text, entities, err := parseText(req)
	if err != nil {
		return nil, err
	}
	if err := checkText(text, errTooLong); err != nil {
		return nil, err
	}
	mk, err := parseMarkup(req.str("reply_markup"))
	if err != nil {
		return nil, err
	}
	replyTo, err := s.replyToLocked(c, req)
	if err != nil {
		return nil, err
	}
	if err := s.takeSendLocked(c); err != nil {
		return nil, err
	}
	m := c.addMessageLocked(&message{
		fromBot: true, text: text, entities: entities, parseMode: req.str("parse_mode"),
		markup: mk, replyTo: replyTo,
	})
	s.notifyLocked()
	return s.wireMessage(m), nil
}

func (s *Server) sendPhoto(_ context.Context, req *request) (any, *apiError) {
	return s.sendMedia(req, kindPhoto)
}

func (s *Server) sendDocument(_ context.Context, req *request) (any, *apiError) {
	return s.sendMedia(req, kindDocument)
}

func (s *Server) sendMedia(req *request, kind string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.recipientLocked(req)
	if err != nil {
		return nil, err
	}
	caption, entities, err := parseCaption(req)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(req.str("reply_markup"))
	if err != nil {
		return nil, err
	}
	replyTo, err := s.replyToLocked(c, req)
	if err != nil {
		return nil, err
	}
	// The file is stored before the rate check, as Telegram takes the upload
	// before it sends; a refused send leaves an unused file behind, harmlessly.
	f, err := s.mediaLocked(req, kind, req.str(kind), kind)
	if err != nil {
		return nil, err
	}
	if err := s.takeSendLocked(c); err != nil {
		return nil, err
	}
	m := &message{
		fromBot: true, caption: caption, entities: entities, parseMode: req.str("parse_mode"),
		markup: mk, replyTo: replyTo,
	}
	m.setMedia(kind, f)
	c.addMessageLocked(m)
	s.notifyLocked()
	return s.wireMessage(m), nil
}

// inputMedia is an InputMedia of sendMediaGroup or editMessageMedia: a photo or a file,
// by file id, attach:// upload name, with its caption.
type inputMedia struct {
	Type            string       `json:"type"`
	Media           string       `json:"media"`
	Caption         string       `json:"caption"`
	ParseMode       string       `json:"parse_mode"`
	CaptionEntities []wireEntity `json:"caption_entities"`
}

var errAlbumMix = badRequest("can't use the media of the specified type in the album")

func (in inputMedia) check() *apiError {
	if in.Media == "" {
		return badRequest("can't parse InputMedia: Media is not specified")
	}
	if in.Type != kindPhoto && in.Type != kindDocument {
		return badRequest("can't parse InputMedia: media type %q is not supported by the fake", in.Type)
	}
	return nil
}

// caption reads the caption, within Telegram's length.
func (in inputMedia) caption() (string, []Entity, *apiError) {
	caption, entities, err := formatted(in.Caption, in.ParseMode, in.CaptionEntities)
	if err != nil {
		return "", nil, err
	}
	if utf16Len(caption) > maxCaptionLen {
		return "", nil, errCaptionTooLong
	}
	return caption, entities, nil
}

// setMedia makes f the message's photo or file, as kind says.
func (m *message) setMedia(kind string, f *storedFile) {
	m.photo, m.document = nil, nil
	if kind == kindPhoto {
		m.photo = f
	} else {
		m.document = f
	}
}

func (s *Server) newMediaGroupIDLocked() string {
	s.nextGroupID++
	return strconv.FormatInt(s.nextGroupID, 10)
}

func (s *Server) sendMediaGroup(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.recipientLocked(req)
	if err != nil {
		return nil, err
	}
	var items []inputMedia
	set, err := req.json("media", &items)
	if err != nil {
		return nil, err
	}
	if !set {
		return nil, badRequest("parameter \"media\" is required")
	}
	if len(items) < minAlbum {
		return nil, badRequest("Too few messages to send as an album")
	}
	if len(items) > maxAlbum {
		return nil, badRequest("Too much messages to send as an album")
	}
	// Telegram has no reply_markup on albums and silently drops one; the fake
	// refuses it so a test notices buttons that would never show.
	if mk, err := parseMarkup(req.str("reply_markup")); err != nil || mk != nil {
		return nil, badRequest("reply_markup is not supported by sendMediaGroup: an album cannot carry buttons")
	}
	replyTo, err := s.replyToLocked(c, req)
	if err != nil {
		return nil, err
	}
	docs := 0
	for _, it := range items {
		if err := it.check(); err != nil {
			return nil, err
		}
		if it.Type == kindDocument {
			docs++
		}
	}
	if docs != 0 && docs != len(items) {
		return nil, errAlbumMix
	}
	var msgs []*message
	for _, it := range items {
		caption, entities, err := it.caption()
		if err != nil {
			return nil, err
		}
		f, err := s.mediaLocked(req, "", it.Media, it.Type)
		if err != nil {
			return nil, err
		}
		m := &message{fromBot: true, caption: caption, entities: entities, parseMode: it.ParseMode, replyTo: replyTo}
		m.setMedia(it.Type, f)
		msgs = append(msgs, m)
	}
	// A whole album is one send.
	if err := s.takeSendLocked(c); err != nil {
		return nil, err
	}
	group := s.newMediaGroupIDLocked()
	now := time.Now()
	out := make([]*wireMessage, 0, len(msgs))
	for _, m := range msgs {
		m.mediaGroupID = group
		m.date = now
		c.addMessageLocked(m)
		out = append(out, s.wireMessage(m))
	}
	s.notifyLocked()
	return out, nil
}

// editTargetLocked finds the bot message an edit names.
func (s *Server) editTargetLocked(req *request) (*message, *apiError) {
	if req.str("inline_message_id") != "" {
		return nil, badRequest("inline messages are not supported by the fake")
	}
	c, err := s.resolveChatLocked(req.str("chat_id"))
	if err != nil {
		return nil, err
	}
	if err := c.writableLocked(); err != nil {
		return nil, err
	}
	id, ok, err := req.int64("message_id")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, badRequest("message identifier is not specified")
	}
	m := c.findLocked(int(id))
	if m == nil || m.deleted {
		return nil, errEditNotFound
	}
	if !m.fromBot {
		return nil, errCantEdit
	}
	return m, nil
}

// editMarkup reads the markup of an edit of m: only an inline keyboard, or none,
// which removes the message's keyboard as on Telegram. Telegram shows no buttons on a
// message of an album; the fake refuses them, as sendMediaGroup does.
func editMarkup(req *request, m *message) (*markup, *apiError) {
	mk, err := parseMarkup(req.str("reply_markup"))
	if err != nil {
		return nil, err
	}
	if mk != nil && len(mk.inline) == 0 {
		return nil, badRequest("inline keyboard expected")
	}
	if mk != nil && m.mediaGroupID != "" {
		return nil, badRequest("reply_markup is not supported on a message of an album: it cannot carry buttons")
	}
	return mk, nil
}

// applyEditLocked records the old state and marks the message edited. Reply
// keyboards are not part of a message once sent, so only the inline one changes.
func (s *Server) applyEditLocked(m *message, mk *markup, change func()) *wireMessage {
	m.versions = append(m.versions, m.version())
	change()
	var next markup
	if m.markup != nil {
		next = *m.markup
	}
	next.inline = nil
	if mk != nil {
		next.inline = mk.inline
	}
	m.markup = nil
	if len(next.inline) > 0 || len(next.keyboard) > 0 || next.remove || next.forceReply {
		m.markup = &next
	}
	m.edits++
	m.editDate = time.Now()
	s.notifyLocked()
	return s.wireMessage(m)
}

func (s *Server) editMessageText(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.editTargetLocked(req)
	if err != nil {
		return nil, err
	}
	if m.hasMedia() {
		return nil, errNoTextToEdit
	}
	text, entities, err := parseText(req)
	if err != nil {
		return nil, err
	}
	if err := checkText(text, errEditTooLong); err != nil {
		return nil, err
	}
	mk, err := editMarkup(req, m)
	if err != nil {
		return nil, err
	}
	if text == m.text && sameEntities(entities, m.entities) && sameInline(mk, m.markup) {
		return nil, errNotModified
	}
	if err := s.takeEditLocked(m.chat); err != nil {
		return nil, err
	}
	return s.applyEditLocked(m, mk, func() {
		m.text, m.entities, m.parseMode = text, entities, req.str("parse_mode")
	}), nil
}

func (s *Server) editMessageCaption(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.editTargetLocked(req)
	if err != nil {
		return nil, err
	}
	if m.photo == nil && m.document == nil {
		return nil, errNoCaption
	}
	caption, entities, err := parseCaption(req)
	if err != nil {
		return nil, err
	}
	mk, err := editMarkup(req, m)
	if err != nil {
		return nil, err
	}
	if caption == m.caption && sameEntities(entities, m.entities) && sameInline(mk, m.markup) {
		return nil, errNotModified
	}
	if err := s.takeEditLocked(m.chat); err != nil {
		return nil, err
	}
	return s.applyEditLocked(m, mk, func() {
		m.caption, m.entities, m.parseMode = caption, entities, req.str("parse_mode")
	}), nil
}

// editMessageMedia replaces the photo or file of a bot message; the caption of the new
// media replaces the old one (none if it has none), as on Telegram.
func (s *Server) editMessageMedia(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.editTargetLocked(req)
	if err != nil {
		return nil, err
	}
	var in inputMedia
	set, err := req.json("media", &in)
	if err != nil {
		return nil, err
	}
	if !set {
		return nil, badRequest("parameter \"media\" is required")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	if m.sticker != nil || m.voice != nil || m.video != nil {
		return nil, badRequest("the message's kind of media is not supported by the fake")
	}
	// A text message takes media too: its text goes, the media's caption shows.
	if m.mediaGroupID != "" && (in.Type == kindPhoto) != (m.photo != nil) {
		return nil, errAlbumMix
	}
	caption, entities, err := in.caption()
	if err != nil {
		return nil, err
	}
	mk, err := editMarkup(req, m)
	if err != nil {
		return nil, err
	}
	f, err := s.mediaLocked(req, "", in.Media, in.Type)
	if err != nil {
		return nil, err
	}
	if (f == m.photo || f == m.document) && caption == m.caption && sameEntities(entities, m.entities) && sameInline(mk, m.markup) {
		return nil, errNotModified
	}
	if err := s.takeEditLocked(m.chat); err != nil {
		return nil, err
	}
	return s.applyEditLocked(m, mk, func() {
		m.setMedia(in.Type, f)
		m.text, m.caption, m.entities, m.parseMode = "", caption, entities, in.ParseMode
	}), nil
}

func (s *Server) editMessageReplyMarkup(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.editTargetLocked(req)
	if err != nil {
		return nil, err
	}
	mk, err := editMarkup(req, m)
	if err != nil {
		return nil, err
	}
	if sameInline(mk, m.markup) {
		return nil, errNotModified
	}
	if err := s.takeEditLocked(m.chat); err != nil {
		return nil, err
	}
	return s.applyEditLocked(m, mk, func() {}), nil
}

func (s *Server) deleteMessage(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.resolveChatLocked(req.str("chat_id"))
	if err != nil {
		return nil, err
	}
	if err := c.writableLocked(); err != nil {
		return nil, err
	}
	id, ok, err := req.int64("message_id")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, badRequest("message identifier is not specified")
	}
	m := c.findLocked(int(id))
	if m == nil || m.deleted {
		return nil, errDeleteNotFound
	}
	m.deleted = true
	s.notifyLocked()
	return true, nil
}

func (s *Server) answerCallbackQuery(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queries[req.str("callback_query_id")]
	if q == nil || q.answered || time.Since(q.issued) > s.callbackTimeout {
		return nil, errQueryTooOld
	}
	text := req.str("text")
	if utf16Len(text) > maxCallbackAnswerLen {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	q.answered = true
	q.from.answers = append(q.from.answers, CallbackAnswer{
		QueryID:   q.id,
		Text:      text,
		ShowAlert: req.bool("show_alert"),
		URL:       req.str("url"),
	})
	s.notifyLocked()
	return true, nil
}

func (s *Server) getChat(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.resolveChatLocked(req.str("chat_id"))
	if err != nil {
		return nil, err
	}
	return s.wireChat(c), nil
}

func (s *Server) sendChatAction(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.recipientLocked(req); err != nil {
		return nil, err
	}
	if req.str("action") == "" {
		return nil, badRequest("parameter \"action\" is required")
	}
	return true, nil
}
