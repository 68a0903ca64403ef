package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary runs main itself when asked, so start-up is tested as a real process:
// its exit code and what it prints.
func TestMain(m *testing.M) {
	if os.Getenv("SHOPBOT_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func runMain(t *testing.T, env ...string) (exitCode int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append([]string{"SHOPBOT_TEST_RUN_MAIN=1", "PATH=" + os.Getenv("PATH")}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.ExitCode(), out.String(), errOut.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

func TestBadConfigurationStopsStartUp(t *testing.T) {
	t.Parallel()
	const token = "123456789:AAExampleExampleExampleExample_-x"
	tests := []struct {
		name    string
		env     []string
		wantVar string
	}{
		{"no token", []string{"ADMIN_IDS=1"}, "BOT_TOKEN"},
		{"no admins", []string{"BOT_TOKEN=" + token}, "ADMIN_IDS"},
		{"bad currency", []string{"BOT_TOKEN=" + token, "ADMIN_IDS=1", "SHOP_CURRENCY=dollars"}, "SHOP_CURRENCY"},
		{"webhook without secret", []string{"BOT_TOKEN=" + token, "ADMIN_IDS=1", "WEBHOOK_URL=https://shop.example.com/hook"}, "WEBHOOK_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runMain(t, tt.env...)
			if code == 0 {
				t.Fatal("exited 0")
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.wantVar) {
				t.Errorf("stderr %q does not name %s in one line", stderr, tt.wantVar)
			}
			if strings.Contains(stdout+stderr, token) {
				t.Error("the token was printed")
			}
		})
	}
}

func TestRunRefusesBadConfigBeforeConnecting(t *testing.T) {
	err := run(context.Background(), []string{"shopbot"}, func(string) string { return "" }, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "BOT_TOKEN") {
		t.Errorf("run with empty environment: %v", err)
	}
}
