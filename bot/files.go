package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// maxDownload is Telegram's getFile limit.
const maxDownload = 20 << 20

// Download fetches a file people sent, by its Telegram file id, within ctx.
func (a *App) Download(ctx context.Context, fileID string) ([]byte, error) {
	var f struct {
		FilePath string `json:"file_path"`
		FileSize int64  `json:"file_size"`
	}
	if err := a.call(ctx, "getFile", map[string]any{"file_id": fileID}, &f); err != nil {
		return nil, fmt.Errorf("bot: getFile: %w", err)
	}
	if f.FileSize > maxDownload {
		return nil, fmt.Errorf("bot: file of %d bytes is over Telegram's download limit", f.FileSize)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.cfg.TelegramAPIURL+"/file/bot"+a.cfg.BotToken+"/"+f.FilePath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.api.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its text holds the token
		}
		return nil, fmt.Errorf("bot: download file: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bot: download file: HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("bot: download file: %w", err)
	}
	if len(data) > maxDownload {
		return nil, errors.New("bot: file over Telegram's download limit")
	}
	return data, nil
}
