package m2mauth

/*
#include <m2m_auth.h>
*/
import "C"

import "context"

// goM2MLog receives one engine record (the C callback of SetLogger).
//
//export goM2MLog
func goM2MLog(level C.m2m_log_level, target, message *C.char) {
	l := logger.Load()
	if l == nil {
		return
	}
	l.Log(context.Background(), slogLevel(level), C.GoString(message), "target", C.GoString(target))
}
