//! Every server function's JSON body through the whole router. The first byte picks the
//! endpoint, the second the credentials (bits 0–1: no bearer, the administrator's, the member's,
//! a forged one; bit 2: also the refresh cookie of that account), the rest is the body, in which
//! `$admin`, `$member`, `$session` and `$other` become the administrator's and the member's user
//! ids and the caller's and the other account's session ids.
//!
//! Asserts: no panic; no 5xx but 503; every error has a code; no 2xx on a bearer endpoint
//! without a valid bearer, on an admin endpoint without the administrator's, or on refresh
//! without a cookie; and what one account does outside `/api/admin` never signs the other out.

#![no_main]

use std::sync::Mutex;

use http::{HeaderName, HeaderValue};
use latchkey_fuzz::accounts::{self, Account, ADMIN_EMAIL, MEMBER_EMAIL, PASSWORD};
use latchkey_fuzz::server::Server;
use libfuzzer_sys::fuzz_target;

const ENDPOINTS: [&str; 14] = [
    "auth/register",
    "auth/login",
    "auth/refresh",
    "auth/logout",
    "sessions/list",
    "sessions/revoke",
    "sessions/revoke_others",
    "sessions/revoke_all",
    "account/password",
    "account/events",
    "admin/users",
    "admin/user_sessions",
    "admin/force_logout",
    "admin/set_disabled",
];
const FIRST_BEARER_ENDPOINT: usize = 4;
const FIRST_ADMIN_ENDPOINT: usize = 10;
const REFRESH: usize = 2;
const PASSWORD_CHANGE: usize = 8;
const SET_DISABLED: usize = 13;

struct Fixture {
    server: Server,
    admin: Account,
    member: Account,
}

static FIXTURE: Mutex<Option<Fixture>> = Mutex::new(None);

#[derive(Clone, Copy, PartialEq)]
enum Caller {
    Nobody,
    Admin,
    Member,
    Forged,
}

fuzz_target!(|data: &[u8]| {
    let [endpoint, credentials, body @ ..] = data else {
        return;
    };
    let mut guard = FIXTURE.lock().unwrap_or_else(|e| e.into_inner());
    let fixture = guard.get_or_insert_with(start);
    let endpoint = usize::from(*endpoint) % ENDPOINTS.len();
    let caller = match credentials & 0b11 {
        0 => Caller::Nobody,
        1 => Caller::Admin,
        2 => Caller::Member,
        _ => Caller::Forged,
    };
    let with_cookie = credentials & 0b100 != 0;
    for account in [&mut fixture.admin, &mut fixture.member] {
        if account.dirty || !account.signed_in(&fixture.server) {
            account.restore(&fixture.server);
        }
    }

    let (own, other) = match caller {
        Caller::Member => (&fixture.member, &fixture.admin),
        _ => (&fixture.admin, &fixture.member),
    };
    let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
    match caller {
        Caller::Nobody => {}
        Caller::Admin | Caller::Member => headers.push(own.bearer()),
        Caller::Forged => headers.push(accounts::header(
            "authorization",
            &format!("Bearer {}", forged(&own.access_token)),
        )),
    }
    if with_cookie {
        headers.push(own.cookie());
    }
    let body = substitute(body, fixture, own, other);
    let path = format!("/api/{}", ENDPOINTS[endpoint]);
    let answer = fixture.server.post(&path, &headers, body);

    answer.must_not_be_a_server_fault(&path);
    let granted = answer.status.is_success();
    let real_bearer = matches!(caller, Caller::Admin | Caller::Member);
    if endpoint >= FIRST_BEARER_ENDPOINT {
        assert!(
            !granted || real_bearer,
            "{path} answered {} without a valid bearer",
            answer.status
        );
    }
    if endpoint >= FIRST_ADMIN_ENDPOINT {
        assert!(
            !granted || caller == Caller::Admin,
            "{path} answered {} to a non-admin",
            answer.status
        );
    }
    if endpoint == REFRESH {
        assert!(
            !granted || with_cookie,
            "{path} answered {} without a cookie",
            answer.status
        );
    }
    let (own_email, other_signed_in) = (own.email, other.signed_in(&fixture.server));
    if endpoint < FIRST_ADMIN_ENDPOINT {
        assert!(
            other_signed_in,
            "{path} from {own_email} signed the other account out"
        );
    }

    // Ending sessions shows in `signed_in`; a rotated cookie, a new password or a disabled
    // member do not, so those are undone before the next input.
    let own = if caller == Caller::Member {
        &mut fixture.member
    } else {
        &mut fixture.admin
    };
    own.dirty |= granted && (with_cookie || endpoint == PASSWORD_CHANGE);
    fixture.member.dirty |= granted && endpoint == SET_DISABLED;
});

fn start() -> Fixture {
    let server = Server::start(
        "server_fn_bodies",
        &[
            ("LATCHKEY_ADMIN_EMAIL", ADMIN_EMAIL),
            ("LATCHKEY_ADMIN_PASSWORD", PASSWORD),
        ],
    );
    let admin = Account::create(&server, ADMIN_EMAIL);
    let member = Account::create(&server, MEMBER_EMAIL);
    Fixture {
        server,
        admin,
        member,
    }
}

/// The token with one signature character changed: well-formed, signed by nobody.
fn forged(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    if let Some(at) = bytes.len().checked_sub(2) {
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn substitute(body: &[u8], fixture: &Fixture, own: &Account, other: &Account) -> Vec<u8> {
    let replacements: [(&[u8], &str); 4] = [
        (b"$admin", &fixture.admin.user_id),
        (b"$member", &fixture.member.user_id),
        (b"$session", &own.session_id),
        (b"$other", &other.session_id),
    ];
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    'scan: while let Some((first, tail)) = rest.split_first() {
        if *first == b'$' {
            for (name, value) in replacements {
                if let Some(after) = rest.strip_prefix(name) {
                    out.extend_from_slice(value.as_bytes());
                    rest = after;
                    continue 'scan;
                }
            }
        }
        out.push(*first);
        rest = tail;
    }
    out
}
