"""The dashboard's drill-down (issue 16, item 10): every count on GET /dashboard opens the
customers behind it through the filters of GET /customers (item&state, ready, over_seat_limit,
blocked_category, review_waiting), which test the dashboard's own facets; the dashboard counts
the review queue (how many wait, the oldest's age)."""

import calendar
import time

from test_setup import SetupBase

STATES = ("todo", "in_progress", "submitted", "in_review", "done", "blocked", "not_required")


def rfc3339(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


class DrilldownTests(SetupBase):
    def listed(self, query):
        """Every customer a filter lists (walking the pages) and the total it reports."""
        ids, after, totals = [], None, set()
        while True:
            r = self.ops_client.call("GET", f"/customers?limit=7&{query}" + (f"&after={after}" if after else ""))
            self.assertEqual(r.status, 200, r)
            ids += [c["id"] for c in r.json["customers"]]
            totals.add(r.json["total"])
            after = r.json["next_after"]
            if not after:
                break
        self.assertEqual(len(totals), 1, totals)      # every page reports the same total
        self.assertEqual(len(ids), len(set(ids)))      # no customer twice across pages
        return ids, totals.pop()

    def test_every_count_lists_exactly_the_customers_behind_it(self):
        over = self.new_customer(seats=2)
        for _ in range(2):
            self.first_signin(self.new_user(over)["user"]["username"])
        self.assertEqual(self.ops_client.call("PATCH", f"/customers/{over['id']}", {"seat_limit": 1}).status, 200)
        waiting, _ = self.fresh()                                   # details saved: reviews queued
        blocked, _ = self.fresh()
        self.ops_client.call("PUT", f"/customers/{blocked['id']}/blockers", {"blockers": [
            {"item": "billing", "category": "billing", "message": "Card declined."},
            {"item": "workspace_target", "category": "billing", "message": "Same reason."}]})
        d = self.ops_client.call("GET", "/dashboard").json
        everyone, total = self.listed("ready=false")
        self.assertEqual(total + d["ready"], d["customers"])
        self.assertEqual(self.listed("ready=true")[1], d["ready"])
        ids, total = self.listed("over_seat_limit=true")
        self.assertEqual(total, d["customers_over_seat_limit"])
        self.assertIn(over["id"], ids)
        self.assertNotIn(waiting["id"], ids)
        ids, total = self.listed("review_waiting=true")
        self.assertEqual(total, d["customers_review_waiting"])
        self.assertIn(waiting["id"], ids)
        self.assertNotIn(over["id"], ids)
        for cat, n in d["blocked_by_category"].items():
            ids, total = self.listed(f"blocked_category={cat}")
            self.assertEqual(total, n, cat)
            self.assertEqual(blocked["id"] in ids, cat == "billing", cat)
        for item in d["items"]:
            for state in STATES:
                ids, total = self.listed(f"item={item['key']}&state={state}")
                self.assertEqual(total, item["states"][state], (item["key"], state))
        billing = self.listed("item=billing&state=blocked")[0]
        self.assertIn(blocked["id"], billing)
        self.assertNotIn(waiting["id"], billing)
        # Filters combine (and), and the search narrows them.
        ids, total = self.listed(f"q={blocked['slug']}&blocked_category=billing&item=billing&state=blocked")
        self.assertEqual((ids, total), ([blocked["id"]], 1))
        self.assertEqual(self.listed(f"q={waiting['slug']}&blocked_category=billing")[0], [])
        self.assertIn(over["id"], everyone)

    def test_bad_drilldown_filters_are_refused(self):
        for query in ("item=sso", "state=blocked", "item=sso&state=stuck", "item=garden&state=done", "ready=maybe",
                      "over_seat_limit=2", "review_waiting=yes", "blocked_category=weather"):
            r = self.ops_client.call("GET", f"/customers?{query}")
            self.assertEqual((r.status, r.code), (400, "bad_request"), query)

    def test_reviews_waiting_counts_the_queue_and_its_oldest(self):
        before = self.ops_client.call("GET", "/dashboard").json["reviews_waiting"]
        cust, _ = self.fresh()
        mine = self.pending(cust)
        self.assertTrue(mine)
        now = time.time()
        after = self.ops_client.call("GET", "/dashboard").json["reviews_waiting"]
        self.assertEqual(after["count"], before["count"] + len(mine))
        queue = self.ops_client.call("GET", "/reviews?state=pending").json["reviews"]   # oldest first
        oldest = rfc3339(queue[0]["created_at"][:19] + "Z")
        self.assertEqual(rfc3339(after["oldest_submitted_at"][:19] + "Z"), oldest)
        self.assertLessEqual(abs(after["oldest_waiting_seconds"] - (now - oldest)), 5)
