package channel

import (
	"bytes"
	"context"
	"errors"
	"strings"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
)

// PhotoStore gives the stored copies of photos and keeps their Telegram file ids.
type PhotoStore interface {
	PhotoData(ctx context.Context, photoID int64) ([]byte, error)
	SetPhotoFileID(ctx context.Context, photoID int64, fileID, uniqueID string) error
}

// SendPhotos sends photos to a chat, as one photo with caption and markup or as an album
// (caption on the first photo; an album takes no markup). It sends by Telegram file id,
// and if Telegram does not know an id (a new bot token), uploads the stored copies and
// keeps the ids Telegram gives them. pace wraps each call to Telegram.
func SendPhotos(ctx context.Context, b *tele.Bot, store PhotoStore, to tele.Recipient, photos []catalog.Photo,
	caption string, markup *tele.ReplyMarkup, pace func(context.Context, func() error) error) ([]tele.Message, error) {
	if len(photos) == 0 {
		return nil, errors.New("channel: no photos")
	}
	return byIDOrUpload(ctx, store, photos, func(files []tele.File) ([]tele.Message, error) {
		var msgs []tele.Message
		err := pace(ctx, func() error {
			if len(files) == 1 {
				photo := &tele.Photo{File: files[0], Caption: caption}
				var m *tele.Message
				var err error
				if markup != nil {
					m, err = b.Send(to, photo, markup)
				} else {
					m, err = b.Send(to, photo)
				}
				if err == nil {
					msgs = []tele.Message{*m}
				}
				return err
			}
			album := make(tele.Album, len(files))
			for i, f := range files {
				album[i] = &tele.Photo{File: f}
			}
			album.SetCaption(caption)
			var err error
			msgs, err = b.SendAlbum(to, album)
			return err
		})
		return msgs, err
	})
}

// EditPhoto puts another photo, caption and markup on a message that shows one photo, by
// Telegram file id or, if Telegram does not know it, by the stored copy.
func EditPhoto(ctx context.Context, b *tele.Bot, store PhotoStore, msg tele.Editable, photo catalog.Photo,
	caption string, markup *tele.ReplyMarkup) error {
	_, err := byIDOrUpload(ctx, store, []catalog.Photo{photo}, func(files []tele.File) ([]tele.Message, error) {
		var opts []any
		if markup != nil {
			opts = append(opts, markup)
		}
		m, err := b.EditMedia(msg, &tele.Photo{File: files[0], Caption: caption}, opts...)
		if err != nil {
			return nil, err
		}
		return []tele.Message{*m}, nil
	})
	return err
}

// byIDOrUpload makes a call with the photos as Telegram file ids where they have one, and
// again with the stored copies if Telegram does not know an id. It keeps the ids of what
// the call sent, message by message.
func byIDOrUpload(ctx context.Context, store PhotoStore, photos []catalog.Photo,
	call func([]tele.File) ([]tele.Message, error)) ([]tele.Message, error) {
	files := func(upload bool) ([]tele.File, error) {
		out := make([]tele.File, len(photos))
		for i, ph := range photos {
			if ph.FileID != "" && !upload {
				out[i] = tele.File{FileID: ph.FileID}
				continue
			}
			data, err := store.PhotoData(ctx, ph.ID)
			if err != nil {
				return nil, err
			}
			out[i] = tele.FromReader(bytes.NewReader(data))
		}
		return out, nil
	}
	send := func(upload bool) ([]tele.Message, error) {
		f, err := files(upload)
		if err != nil {
			return nil, err
		}
		return call(f)
	}
	msgs, err := send(false)
	if err != nil && UnknownFile(err) {
		msgs, err = send(true)
	}
	if err != nil {
		return nil, err
	}
	for i, m := range msgs {
		if i < len(photos) && m.Photo != nil && m.Photo.FileID != photos[i].FileID {
			// Only a shortcut for next time: what was sent stays sent either way.
			_ = store.SetPhotoFileID(ctx, photos[i].ID, m.Photo.FileID, m.Photo.UniqueID)
		}
	}
	return msgs, nil
}

// CannotEdit reports Telegram refusing an edit because the message is gone (deleted by
// the person), can no longer be edited, or is of another kind (text for a caption): what
// is meant to show must be sent anew.
func CannotEdit(err error) bool {
	msg := err.Error()
	return errors.Is(err, tele.ErrCantEditMessage) || strings.Contains(msg, "message to edit not found") ||
		strings.Contains(msg, "there is no text in the message")
}

// Refused reports Telegram refusing the bot the channel itself: it is not there (or
// CHANNEL_ID names no chat it can see), was removed, or is not an administrator with the
// right to post. Nothing the bot does mends it; a person must.
func Refused(err error) bool {
	msg := err.Error()
	return errors.Is(err, tele.ErrChatNotFound) || errors.Is(err, tele.ErrKickedFromChannel) ||
		errors.Is(err, tele.ErrNotChannelMember) || errors.Is(err, tele.ErrNoRightsToSend) ||
		errors.Is(err, tele.ErrNoRightsToSendPhoto) || strings.Contains(msg, "need administrator rights") ||
		strings.Contains(msg, "not enough rights")
}

// Reason is Telegram's own description of an error (TelegramSaid), for people to read,
// or else the error.
func Reason(err error) string {
	if said, ok := TelegramSaid(err); ok {
		return said
	}
	return err.Error()
}

// TelegramSaid is Telegram's own description of an error, without what the bot wrapped
// it in; false when the error is not Telegram's answer.
func TelegramSaid(err error) (string, bool) {
	var te *tele.Error
	if errors.As(err, &te) {
		return te.Description, true
	}
	// telebot words the errors it has no value for "telegram: Bad Gateway (502)".
	msg := err.Error()
	if i := strings.LastIndex(msg, "telegram: "); i >= 0 {
		return msg[i+len("telegram: "):], true
	}
	return "", false
}

// UnknownFile reports Telegram refusing a file id it does not know.
func UnknownFile(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "wrong file identifier") || strings.Contains(msg, "file reference") ||
		strings.Contains(msg, "FILE_ID_INVALID") || strings.Contains(msg, "wrong remote file id") || errors.Is(err, tele.ErrWrongFileID)
}
