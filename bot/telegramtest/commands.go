package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Command is one entry of the bot's command menu.
type Command struct {
	Command     string
	Description string
}

// CommandScope names where a command list applies, as setMyCommands' scope
// and language_code do. An empty Type means "default".
type CommandScope struct {
	Type         string
	ChatID       int64
	UserID       int64
	LanguageCode string
}

var commandNameRx = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (sc CommandScope) key() string {
	t := sc.Type
	if t == "" {
		t = "default"
	}
	switch t {
	case "chat", "chat_administrators":
		t = fmt.Sprintf("%s:%d", t, sc.ChatID)
	case "chat_member":
		t = fmt.Sprintf("%s:%d:%d", t, sc.ChatID, sc.UserID)
	}
	return t + "|" + sc.LanguageCode
}

// MyCommands returns the commands setMyCommands stored for a scope type
// (default, all_private_chats, all_group_chats, all_chat_administrators,
// chat, chat_administrators) and chat id, for no particular language.
func (s *Server) MyCommands(scopeType string, chatID int64) []Command {
	return s.MyCommandsFor(CommandScope{Type: scopeType, ChatID: chatID})
}

// MyCommandsFor returns the commands stored for an exact scope and language.
func (s *Server) MyCommandsFor(scope CommandScope) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands[scope.key()]...)
}

// Menu is the command menu the person sees in their private chat with the bot, found as
// Telegram finds it: the first list stored for the chat, then for all private chats,
// then the default scope, each first for the language of the person's app
// (LanguageCode) and then for no particular language.
func (u *User) Menu() []Command {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	for _, sc := range []CommandScope{{Type: "chat", ChatID: u.ID}, {Type: "all_private_chats"}, {Type: "default"}} {
		for _, lang := range []string{u.LanguageCode, ""} {
			sc.LanguageCode = lang
			if cmds := u.s.commands[sc.key()]; len(cmds) > 0 {
				return append([]Command(nil), cmds...)
			}
		}
	}
	return nil
}

// commandScopeLocked reads scope and language_code.
func (s *Server) commandScopeLocked(req *request) (CommandScope, *apiError) {
	var raw struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID int64           `json:"user_id"`
	}
	if _, err := req.json("scope", &raw); err != nil {
		return CommandScope{}, err
	}
	sc := CommandScope{Type: raw.Type, UserID: raw.UserID, LanguageCode: req.str("language_code")}
	if sc.Type == "" {
		sc.Type = "default"
	}
	switch sc.Type {
	case "default", "all_private_chats", "all_group_chats", "all_chat_administrators":
		return sc, nil
	case "chat", "chat_administrators", "chat_member":
		var name string
		if err := json.Unmarshal(raw.ChatID, &name); err != nil {
			name = string(raw.ChatID)
		}
		c, err := s.resolveChatLocked(name)
		if err != nil {
			return CommandScope{}, err
		}
		sc.ChatID = c.ID
		if sc.Type == "chat_member" && sc.UserID == 0 {
			return CommandScope{}, badRequest("can't parse BotCommandScope JSON object")
		}
		return sc, nil
	}
	return CommandScope{}, badRequest("can't parse BotCommandScope JSON object")
}

func (s *Server) setMyCommands(_ context.Context, req *request) (any, *apiError) {
	var list []wireCommand
	if _, err := req.json("commands", &list); err != nil {
		return nil, err
	}
	if len(list) > 100 {
		return nil, badRequest("BOT_COMMANDS_TOO_MUCH")
	}
	var cmds []Command
	for _, c := range list {
		if !commandNameRx.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if d := strings.TrimSpace(c.Description); d == "" || utf16Len(d) > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
		cmds = append(cmds, Command(c))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, err := s.commandScopeLocked(req)
	if err != nil {
		return nil, err
	}
	if len(cmds) == 0 {
		delete(s.commands, sc.key())
	} else {
		s.commands[sc.key()] = cmds
	}
	return true, nil
}

func (s *Server) getMyCommands(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, err := s.commandScopeLocked(req)
	if err != nil {
		return nil, err
	}
	out := []wireCommand{}
	for _, c := range s.commands[sc.key()] {
		out = append(out, wireCommand(c))
	}
	return out, nil
}

func (s *Server) deleteMyCommands(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, err := s.commandScopeLocked(req)
	if err != nil {
		return nil, err
	}
	delete(s.commands, sc.key())
	return true, nil
}
