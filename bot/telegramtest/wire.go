package telegramtest

import "encoding/json"

// The wire types below are the JSON shapes the Bot API answers with. They are
// kept apart from the snapshot types tests read so that the JSON can follow
// Telegram exactly while the snapshots stay convenient.

type wireUser struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`

	// Only getMe carries these.
	CanJoinGroups           *bool `json:"can_join_groups,omitempty"`
	CanReadAllGroupMessages *bool `json:"can_read_all_group_messages,omitempty"`
	SupportsInlineQueries   *bool `json:"supports_inline_queries,omitempty"`
}

type wireChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
}

type wireEntity struct {
	Type     string `json:"type"`
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
	URL      string `json:"url,omitempty"`
	Language string `json:"language,omitempty"`
}

type wirePhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int    `json:"file_size,omitempty"`
}

type wireDocument struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

type wireSticker struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Type         string `json:"type"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	IsAnimated   bool   `json:"is_animated"`
	IsVideo      bool   `json:"is_video"`
	Emoji        string `json:"emoji,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

type wireVoice struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Duration     int    `json:"duration"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

type wireVideo struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	Duration     int    `json:"duration"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

// wireStory is a story forwarded: whose, and which.
type wireStory struct {
	Chat wireChat `json:"chat"`
	ID   int      `json:"id"`
}

// wireOrigin is a forwarded message's origin: a channel's post or a person's message.
type wireOrigin struct {
	Type       string    `json:"type"`
	Date       int64     `json:"date"`
	SenderUser *wireUser `json:"sender_user,omitempty"`
	Chat       *wireChat `json:"chat,omitempty"`
	MessageID  int       `json:"message_id,omitempty"`
}

type wireContact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	UserID      int64  `json:"user_id,omitempty"`
}

type wireLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

type wireMessage struct {
	MessageID       int                `json:"message_id"`
	From            *wireUser          `json:"from,omitempty"`
	SenderChat      *wireChat          `json:"sender_chat,omitempty"`
	Date            int64              `json:"date"`
	Chat            wireChat           `json:"chat"`
	ReplyToMessage  *wireMessage       `json:"reply_to_message,omitempty"`
	EditDate        int64              `json:"edit_date,omitempty"`
	MediaGroupID    string             `json:"media_group_id,omitempty"`
	Text            string             `json:"text,omitempty"`
	Entities        []wireEntity       `json:"entities,omitempty"`
	Caption         string             `json:"caption,omitempty"`
	CaptionEntities []wireEntity       `json:"caption_entities,omitempty"`
	Photo           []wirePhotoSize    `json:"photo,omitempty"`
	Document        *wireDocument      `json:"document,omitempty"`
	Sticker         *wireSticker       `json:"sticker,omitempty"`
	Voice           *wireVoice         `json:"voice,omitempty"`
	Video           *wireVideo         `json:"video,omitempty"`
	Contact         *wireContact       `json:"contact,omitempty"`
	Location        *wireLocation      `json:"location,omitempty"`
	ReplyMarkup     json.RawMessage    `json:"reply_markup,omitempty"`
	ForwardOrigin   *wireOrigin        `json:"forward_origin,omitempty"`
	Story           *wireStory         `json:"story,omitempty"`
	PaidMedia       *wirePaidMediaInfo `json:"paid_media,omitempty"`
	Poll            *wirePoll          `json:"poll,omitempty"`
}

// wirePoll is a poll as a message carries it.
type wirePoll struct {
	ID              string           `json:"id"`
	Question        string           `json:"question"`
	Options         []wirePollOption `json:"options"`
	TotalVoterCount int              `json:"total_voter_count"`
	IsClosed        bool             `json:"is_closed"`
	IsAnonymous     bool             `json:"is_anonymous"`
	Type            string           `json:"type"`
	AllowsMultiple  bool             `json:"allows_multiple_answers"`
}

type wirePollOption struct {
	Text       string `json:"text"`
	VoterCount int    `json:"voter_count"`
}

// wirePaidMediaInfo is paid media: what it costs, and a preview of each photo or video
// for someone who has not paid.
type wirePaidMediaInfo struct {
	StarCount int             `json:"star_count"`
	PaidMedia []wirePaidMedia `json:"paid_media"`
}

type wirePaidMedia struct {
	Type   string `json:"type"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
}

type wireCallbackQuery struct {
	ID           string       `json:"id"`
	From         wireUser     `json:"from"`
	Message      *wireMessage `json:"message,omitempty"`
	ChatInstance string       `json:"chat_instance"`
	Data         string       `json:"data,omitempty"`
}

type wireFile struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileSize     int    `json:"file_size,omitempty"`
	FilePath     string `json:"file_path,omitempty"`
}

type wireCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

type wireWebhookInfo struct {
	URL                  string   `json:"url"`
	HasCustomCertificate bool     `json:"has_custom_certificate"`
	PendingUpdateCount   int      `json:"pending_update_count"`
	LastErrorDate        int64    `json:"last_error_date,omitempty"`
	LastErrorMessage     string   `json:"last_error_message,omitempty"`
	MaxConnections       int      `json:"max_connections,omitempty"`
	AllowedUpdates       []string `json:"allowed_updates,omitempty"`
}
