//! Closing the app's window as a window manager would, on an Xvfb display that has none.

/// Asks the top-level window titled `title` to close, as a window manager's close button does:
/// an X11 `WM_DELETE_WINDOW` client message (Xvfb has no window manager to send it). Answers
/// how many windows were asked.
pub fn ask_window_to_close(title: &str) -> usize {
    use std::ffi::{CStr, CString, c_char, c_int, c_long, c_uint, c_ulong, c_void};

    #[repr(C)]
    struct ClientMessage {
        kind: c_int,
        serial: c_ulong,
        send_event: c_int,
        display: *mut c_void,
        window: c_ulong,
        message_type: c_ulong,
        format: c_int,
        data: [c_long; 5],
        // XEvent is 24 longs; the client message uses fewer.
        _pad: [c_long; 12],
    }
    #[link(name = "X11")]
    unsafe extern "C" {
        fn XOpenDisplay(name: *const c_char) -> *mut c_void;
        fn XCloseDisplay(display: *mut c_void) -> c_int;
        fn XDefaultRootWindow(display: *mut c_void) -> c_ulong;
        fn XInternAtom(display: *mut c_void, name: *const c_char, only_if_exists: c_int) -> c_ulong;
        fn XQueryTree(
            display: *mut c_void,
            window: c_ulong,
            root: *mut c_ulong,
            parent: *mut c_ulong,
            children: *mut *mut c_ulong,
            count: *mut c_uint,
        ) -> c_int;
        fn XFetchName(display: *mut c_void, window: c_ulong, name: *mut *mut c_char) -> c_int;
        fn XFree(data: *mut c_void) -> c_int;
        fn XSendEvent(display: *mut c_void, window: c_ulong, propagate: c_int, mask: c_long, event: *mut ClientMessage) -> c_int;
        fn XFlush(display: *mut c_void) -> c_int;
    }
    const CLIENT_MESSAGE: c_int = 33;
    // SAFETY: plain Xlib calls on a display opened here and closed before returning; every
    // pointer Xlib hands back is freed with XFree.
    unsafe {
        let display = XOpenDisplay(std::ptr::null());
        assert!(!display.is_null(), "no X display (DISPLAY)");
        let protocols = XInternAtom(display, c"WM_PROTOCOLS".as_ptr(), 0);
        let delete = XInternAtom(display, c"WM_DELETE_WINDOW".as_ptr(), 0);
        let (mut root, mut parent, mut children, mut count) = (0, 0, std::ptr::null_mut(), 0);
        XQueryTree(display, XDefaultRootWindow(display), &mut root, &mut parent, &mut children, &mut count);
        let want = CString::new(title).unwrap();
        let mut asked = 0;
        for i in 0..count as usize {
            let window = *children.add(i);
            let mut name: *mut c_char = std::ptr::null_mut();
            if XFetchName(display, window, &mut name) == 0 || name.is_null() {
                continue;
            }
            let matches = CStr::from_ptr(name) == want.as_c_str();
            XFree(name.cast());
            if matches {
                let mut event = ClientMessage {
                    kind: CLIENT_MESSAGE,
                    serial: 0,
                    send_event: 1,
                    display,
                    window,
                    message_type: protocols,
                    format: 32,
                    data: [delete as c_long, 0, 0, 0, 0],
                    _pad: [0; 12],
                };
                XSendEvent(display, window, 0, 0, &mut event);
                asked += 1;
            }
        }
        if !children.is_null() {
            XFree(children.cast());
        }
        XFlush(display);
        XCloseDisplay(display);
        asked
    }
}
