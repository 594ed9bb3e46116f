//! The activity page's data: the account's security events, paged, newest first.

use serde_json::json;

use crate::both_engines;
use crate::support::*;

both_engines!(
    security_events_are_paged_newest_first_with_a_total,
    |app: TestApp| async move {
        let owner = app.register("pages@example.com").await;
        for _ in 0..4 {
            app.login("pages@example.com").await;
        }
        let page = |offset: i64, limit: i64| {
            let access = owner.access.clone();
            let app = &app;
            async move {
                app.post_bearer(
                    "/api/account/events",
                    &access,
                    json!({ "offset": offset, "limit": limit }),
                )
                .await
                .dto::<app::api::EventsResponse>()
            }
        };
        // Registered + four sign-ins.
        let all = app.events(&owner.access).await;
        assert_eq!(all.total, 5);
        assert_eq!(all.events.len(), 5, "no arguments: the first page of 50");
        assert_eq!(all.events.last().unwrap().kind.as_str(), "registered");

        let first = page(0, 2).await;
        let second = page(2, 2).await;
        let last = page(4, 2).await;
        assert_eq!((first.total, second.total, last.total), (5, 5, 5));
        assert_eq!(
            (first.events.len(), second.events.len(), last.events.len()),
            (2, 2, 1)
        );
        let paged: Vec<_> = [first.events, second.events, last.events].concat();
        assert_eq!(
            paged, all.events,
            "pages are slices of one newest-first list"
        );

        // Out-of-range values are clamped, not errors: a page of at most 100.
        assert_eq!(page(-7, 1).await.events.len(), 1);
        assert_eq!(page(i64::MAX, 10).await.events.len(), 0);
        assert_eq!(page(0, i64::MAX).await.events.len(), 5);
        assert_eq!(page(0, 0).await.events.len(), 1);

        // Another account's events are not counted.
        app.register("someone-else@example.com").await;
        assert_eq!(app.events(&owner.access).await.total, 5);
    }
);
