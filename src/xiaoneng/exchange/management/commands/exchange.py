"""``xiaoneng exchange add-system|rotate-key|revoke|quarantine|replay``: source systems and rejected events."""

import json

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.exchange import keys, quarantine
from xiaoneng.exchange.models import QuarantinedEvent, QuarantineStatus, SourceSystem


class Command(BaseCommand):
    help = "Manage source systems (接入系统), their API keys, and quarantined events (隔离区)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add-system", help="register a source system and print its key (shown once)")
        add.add_argument("--name", required=True)
        add.add_argument("--code", required=True, help="system code (unique, ≤ 64 characters)")
        add.add_argument("--department", action="append", default=[], metavar="CODE",
                         help="department code it may report for (repeatable)")
        add.add_argument("--supervisor", action="store_true", help="upper-level supervision system (reads region)")
        add.add_argument("--region", help="region code whose subtree a supervisor system reads")
        add.add_argument("--json", action="store_true")
        rotate = sub.add_parser("rotate-key", help="revoke the system's keys and issue a new one")
        rotate.add_argument("code")
        rotate.add_argument("--json", action="store_true")
        revoke = sub.add_parser("revoke", help="revoke every key of the system")
        revoke.add_argument("code")
        revoke.add_argument("--json", action="store_true")
        q = sub.add_parser("quarantine", help="list quarantined events")
        q.add_argument("--json", action="store_true")
        q.add_argument("--system", help="system code")
        q.add_argument("--code", help="error code")
        q.add_argument("--status", default="open", choices=[*QuarantineStatus.values, "all"])
        q.add_argument("--limit", type=int, default=200)
        replay = sub.add_parser("replay", help="replay quarantined events through the write path")
        replay.add_argument("ids", nargs="+", type=int, metavar="ID")
        replay.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        return getattr(self, "do_" + opts["action"].replace("-", "_"))(opts)

    def _emit(self, opts, data, text):
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) if opts.get("json") else text)

    def _system(self, code):
        try:
            return SourceSystem.objects.get(code=code)
        except SourceSystem.DoesNotExist:
            raise CommandError(f"unknown source system: {code}") from None

    def do_add_system(self, opts):
        if not opts["department"] and not opts["supervisor"]:
            raise CommandError("give at least one --department CODE (or --supervisor --region CODE)")
        if opts["supervisor"] and not opts["region"]:
            raise CommandError("a supervisor system needs --region CODE")
        try:
            system, key = keys.create_system(code=opts["code"], name=opts["name"],
                                             department_codes=opts["department"],
                                             is_supervisor=opts["supervisor"], region_code=opts["region"])
        except keys.RegistrationError as exc:
            raise CommandError(str(exc)) from None
        data = {"code": system.code, "name": system.name, "departments": opts["department"],
                "is_supervisor": system.is_supervisor, "key": key}
        self._emit(opts, data, f"registered {system.code}\nAPI key (shown once, store it now):\n{key}")

    def do_rotate_key(self, opts):
        system = self._system(opts["code"])
        key = keys.rotate_key(system)
        self._emit(opts, {"code": system.code, "key": key},
                   f"old keys of {system.code} revoked\nnew API key (shown once):\n{key}")

    def do_revoke(self, opts):
        system = self._system(opts["code"])
        n = keys.revoke_keys(system)
        self._emit(opts, {"code": system.code, "revoked": n}, f"revoked {n} key(s) of {system.code}")

    def do_quarantine(self, opts):
        qs = QuarantinedEvent.objects.select_related("system").order_by("pk")
        if opts["status"] != "all":
            qs = qs.filter(status=opts["status"])
        if opts["system"]:
            qs = qs.filter(system__code=opts["system"])
        if opts["code"]:
            qs = qs.filter(error_code=opts["code"])
        total = qs.count()
        rows = list(qs[: max(opts["limit"], 0)])
        if opts["json"]:
            self.stdout.write(json.dumps({"total": total, "results": [quarantine.as_dict(r) for r in rows]},
                                         ensure_ascii=False, indent=1))
            return
        self.stdout.write(f"{total} quarantined event(s)")
        for r in rows:
            where = f" [{r.error_field}]" if r.error_field else ""
            self.stdout.write(f"#{r.pk}\t{r.system.code if r.system_id else '-'}\t{r.status}\t{r.event_id}\t"
                              f"{r.case_no}\t{r.error_code}{where}\t{r.error_message}")

    def do_replay(self, opts):
        ids = opts["ids"]
        found = set(QuarantinedEvent.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [i for i in ids if i not in found]
        if missing:
            raise CommandError(f"unknown quarantine id(s): {', '.join(map(str, missing))}")
        done = quarantine.replay(ids, user="cli")
        results = []
        for row, outcome in done:
            item = {"id": row.pk, **outcome.as_result()}
            item.pop("quarantine_id", None)
            results.append(item)
        text = "\n".join(
            f"#{r['id']}\t{r['status']}" + (f"\t{r['error']['code']}: {r['error']['message']}" if "error" in r else "")
            for r in results
        )
        self._emit(opts, {"results": results}, text)
        if any(r["status"] == "rejected" for r in results) and not opts["json"]:
            self.stderr.write("some events were rejected again; correct them (admin) and replay")
