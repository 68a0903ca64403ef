// Command shopbot runs a Telegram shop: the seller's weekly catalog in a channel, bookings
// and receipts in chat, and every order in Postgres.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // SHOP_TIMEZONE works in images without a zoneinfo database

	"github.com/shopbot/shopbot/bot"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "shopbot:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := bot.LoadConfig(getenv)
	if err != nil {
		return err
	}
	if len(args) > 1 && args[1] == "healthcheck" {
		// For container health checks: the image has no shell or curl.
		return bot.CheckHealth(ctx, cfg.HTTPAddr)
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	app, err := bot.New(ctx, cfg, bot.Options{Logger: logger})
	if err != nil {
		return err
	}
	return app.Run(ctx)
}
