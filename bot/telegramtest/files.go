package telegramtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"image"
	_ "image/jpeg" // photo dimensions are checked for JPEG and PNG uploads
	_ "image/png"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

const (
	kindPhoto    = "photo"
	kindDocument = "document"
	kindSticker  = "sticker"
	kindVoice    = "voice"
	kindVideo    = "video"

	maxPhotoUpload = 10 << 20
	maxDownload    = 20 << 20
)

// storedFile is a file the fake keeps: uploaded by the bot or sent by a person.
type storedFile struct {
	id       string
	uniqueID string
	kind     string
	name     string
	mime     string
	path     string
	data     []byte
	width    int
	height   int
	thumb    *storedFile // the smaller size listed before a photo
}

func (f *storedFile) snapshot() *File {
	return &File{ID: f.id, UniqueID: f.uniqueID, Name: f.name, MIME: f.mime, Data: f.data, Width: f.width, Height: f.height}
}

func (f *storedFile) photoSize() wirePhotoSize {
	return wirePhotoSize{FileID: f.id, FileUniqueID: f.uniqueID, Width: f.width, Height: f.height, FileSize: len(f.data)}
}

// File ids start the way Telegram's do for the kind, which helps a reader of
// a failure tell them apart; the rest is random so ids cannot be guessed.
var fileIDPrefix = map[string]string{
	kindPhoto:    "AgACAgIAAxkBAAI",
	kindDocument: "BQACAgIAAxkBAAI",
	kindSticker:  "CAACAgIAAxkBAAI",
	kindVoice:    "AwACAgIAAxkBAAI",
	kindVideo:    "BAACAgIAAxkBAAI",
}

var fileExt = map[string]string{kindPhoto: ".jpg", kindSticker: ".webp", kindVoice: ".oga", kindVideo: ".mp4"}

// addFileLocked stores a file; ext (with its dot, or empty for the kind's usual one) ends
// its download path, as on Telegram.
func (s *Server) addFileLocked(kind string, data []byte, ext string) *storedFile {
	s.nextFile++
	random := make([]byte, 12)
	if _, err := rand.Read(random); err != nil {
		panic(err)
	}
	f := &storedFile{
		id:       fileIDPrefix[kind] + strconv.Itoa(s.nextFile) + base64.RawURLEncoding.EncodeToString(random),
		uniqueID: "AQAD" + strconv.Itoa(s.nextFile),
		kind:     kind,
		data:     data,
	}
	if ext == "" {
		ext = fileExt[kind]
	}
	f.path = kind + "s/file_" + strconv.Itoa(s.nextFile) + strings.ToLower(ext)
	s.files[f.id] = f
	s.filePaths[f.path] = f
	return f
}

// photoLocked stores a photo and a thumbnail size sharing its bytes.
func (s *Server) photoLocked(data []byte, width, height int) *storedFile {
	f := s.addFileLocked(kindPhoto, data, "")
	f.mime = http.DetectContentType(data)
	f.width, f.height = width, height
	thumb := s.addFileLocked(kindPhoto, data, "")
	thumb.mime = f.mime
	thumb.width, thumb.height = scaleTo(width, height, 90)
	f.thumb = thumb
	return f
}

// personPhotoLocked stores a photo a person sends; people's clients send
// whatever the test gives, so nothing is refused.
func (s *Server) personPhotoLocked(data []byte) *storedFile {
	w, h := 0, 0
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		w, h = cfg.Width, cfg.Height
	}
	return s.photoLocked(data, w, h)
}

func scaleTo(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, h*side/w)
	}
	return max(1, w*side/h), side
}

// uploadLocked stores a file the bot uploaded, within Telegram's limits.
func (s *Server) uploadLocked(up *upload, kind string) (*storedFile, *apiError) {
	if up.tooLarge {
		return nil, errTooLarge
	}
	if kind == kindPhoto {
		if len(up.data) > maxPhotoUpload {
			return nil, errTooLarge
		}
		w, h := 0, 0
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(up.data)); err == nil {
			w, h = cfg.Width, cfg.Height
			if w+h > 10000 || w == 0 || h == 0 || max(w, h) > 20*min(w, h) {
				return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
			}
		}
		return s.photoLocked(up.data, w, h), nil
	}
	f := s.addFileLocked(kind, up.data, path.Ext(up.fileName))
	f.name = up.fileName
	f.mime = detectMIME(up)
	return f, nil
}

// Types a shop bot's files commonly have, so detection does not depend on
// the machine's mime.types.
var commonTypes = map[string]string{
	".csv":  "text/csv",
	".txt":  "text/plain",
	".pdf":  "application/pdf",
	".zip":  "application/zip",
	".json": "application/json",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".png":  "image/png",
}

func detectMIME(up *upload) string {
	if ct := up.contentType; ct != "" && ct != "application/octet-stream" {
		return ct
	}
	ext := strings.ToLower(path.Ext(up.fileName))
	if t, ok := commonTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return strings.SplitN(t, ";", 2)[0]
	}
	return strings.SplitN(http.DetectContentType(up.data), ";", 2)[0]
}

// mediaLocked resolves a media parameter: a file part of the request, an
// attach://name reference to one, or the file_id of a stored file. The fake
// cannot fetch URLs, so a URL gets the answer of an unreachable one.
func (s *Server) mediaLocked(req *request, field, value, kind string) (*storedFile, *apiError) {
	if up, ok := req.files[field]; ok && value == "" {
		return s.uploadLocked(up, kind)
	}
	if value == "" {
		return nil, badRequest("there is no %s in the request", field)
	}
	if name, ok := strings.CutPrefix(value, "attach://"); ok {
		up, ok := req.files[name]
		if !ok {
			return nil, badRequest("can't find attached file %q", name)
		}
		return s.uploadLocked(up, kind)
	}
	f := s.files[value]
	if f == nil {
		return nil, errWrongFileID
	}
	if f.kind != kind {
		return nil, badRequest("can't use file of type %s as %s", f.kind, kind)
	}
	return f, nil
}

func (s *Server) getFile(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := req.str("file_id")
	if id == "" {
		return nil, badRequest("file_id not specified")
	}
	f := s.files[id]
	if f == nil {
		return nil, badRequest("invalid file_id")
	}
	if len(f.data) > maxDownload {
		return nil, errFileTooBig
	}
	return wireFile{FileID: f.id, FileUniqueID: f.uniqueID, FileSize: len(f.data), FilePath: f.path}, nil
}

// serveFile answers GET /file/bot<token>/<file_path>.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	token, filePath, _ := strings.Cut(rest, "/")
	if token != s.token {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	f := s.filePaths[filePath]
	s.mu.Unlock()
	if f == nil || len(f.data) > maxDownload {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}
