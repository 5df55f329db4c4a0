package m2mauth

/*
#include <m2m_auth.h>

extern void goM2MLog(m2m_log_level level, char *target, char *message);

static void go_log_trampoline(void *user_data, m2m_log_level level, const char *target, const char *message) {
  (void)user_data;
  goM2MLog(level, (char *)target, (char *)message);
}

static m2m_result go_log_to_go(m2m_log_level level) {
  return m2m_set_log_callback(go_log_trampoline, NULL, level);
}

static m2m_result go_log_off(void) { return m2m_set_log_callback(NULL, NULL, M2M_LOG_OFF); }
*/
import "C"

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

// LevelTrace is the slog level of the engine's trace records (below
// slog.LevelDebug).
const LevelTrace = slog.LevelDebug - 4

var (
	logger atomic.Pointer[slog.Logger]
	logMu  sync.Mutex
)

// SetLogger sends the engine's log records (docs/design.md §8; they never
// hold a secret) to logger, process-wide, at the levels it enables: error,
// warn, info, debug, and trace as LevelTrace; each record's message is the
// event and its fields (` name=value`), with the attribute target
// ("m2m_auth" or "m2m_auth::<part>"). nil stops delivery. Records come
// from the goroutine of the call that caused them, or, for background
// work, from an engine thread about 50 ms later. The default is none.
func SetLogger(l *slog.Logger) error {
	logMu.Lock()
	defer logMu.Unlock()
	if l == nil {
		logger.Store(nil)
		return check(C.go_log_off(), "m2m_set_log_callback")
	}
	ctx := context.Background()
	level := C.m2m_log_level(C.M2M_LOG_OFF)
	for _, lv := range []struct {
		slog slog.Level
		c    C.m2m_log_level
	}{{slog.LevelError, C.M2M_LOG_ERROR}, {slog.LevelWarn, C.M2M_LOG_WARN}, {slog.LevelInfo, C.M2M_LOG_INFO},
		{slog.LevelDebug, C.M2M_LOG_DEBUG}, {LevelTrace, C.M2M_LOG_TRACE}} {
		if l.Enabled(ctx, lv.slog) {
			level = lv.c
		}
	}
	logger.Store(l)
	return check(C.go_log_to_go(level), "m2m_set_log_callback")
}

// slogLevel is the slog level of an engine record's level.
func slogLevel(level C.m2m_log_level) slog.Level {
	switch level {
	case C.M2M_LOG_ERROR:
		return slog.LevelError
	case C.M2M_LOG_WARN:
		return slog.LevelWarn
	case C.M2M_LOG_INFO:
		return slog.LevelInfo
	case C.M2M_LOG_DEBUG:
		return slog.LevelDebug
	}
	return LevelTrace
}
