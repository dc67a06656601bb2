"""The built-in approval workbench (审批工作台), mounted at /staff/cases/, for departments without their own system.

Design notes
============

Single write path. Every state change is an event recorded through ``cases.services.record_event_or_raise``
(``workbench.services`` builds the events; several events of one action are recorded in one transaction). The
workbench never writes Case / CaseEvent / CaseStep; its own tables (``workbench.models``) hold paperwork only:
materials checklists, the single correction notice, numbered notices, extension requests, forwardings, agent
routes, step claims, the per-user handled list and the deemed-consent markers.

Posts and permissions (``access``). A user acts through ``org.scoping.acting_posts`` pairs (own posts, the
首席代表's delegated posts, and A岗 posts while the holder is away — events then carry ``acting_for`` = the holder).
Visible cases: the departments the user handles in, cases with a co-department step of those departments
(并联), cases forwarded to them (上报), the region subtree for supervisors (read-only), own submissions for
agents. Everything else — view, htmx partial, action, print — is a 404 identical to a missing case.

Window (受理员 / 首席代表). 申办 → ``submitted`` (+ checklist); 受理 → ``accepted`` plus ``step_completed`` of the
item's first step when it is the window's (受理 step); 不予受理 → ``rejected`` (reason required); 一次性告知 →
``correction_requested`` once per application (a OneToOne CorrectionNotice; a second notice is refused);
``correction_completed`` when the materials arrive. Notices are numbered per department, kind and year
(``部门简称 受/补/不受 字〔年〕第N号``) and print on A4 (``static/workbench/print.css``).

Steps. The inbox lists ``CaseStep`` rows with status active for the user's (department, post) pairs, earliest
due first (overdue on top), with "剩余 X 个工作日" / "已超期" from the case region's working calendar. Only the
running step can be acted on (pass / return to the previous step); 签收 is a StepClaim per step round. The
decide step is acted on through the decision form (``step_completed`` + ``decided``); delivery is ``delivered``
(the engine closes the 办结告知 step at the decision).

上报件. An item version with handling type ``report`` and ``report_to`` set offers "上报" to the holder of the
running step after acceptance: the step is completed, a ``forwarded`` event names the higher department, and a
Forwarding row puts the case into that department's inbox section "上报件待决定" (and makes it visible there).
Only the higher department's decider (or 首席代表) may then record ``decided``; the lower department's decider
sees "由上级部门作出决定". The lower department keeps the case (clock, delivery).

并联审批. Steps sharing a ``parallel_group`` run together; a co-department's step (Step.department) is in that
department's inbox with its own limit. The periodic job ``workbench.deemed_consent`` (every 5 min, idempotent)
records, for every parallel step whose due has passed unanswered, ``step_completed`` {"outcome": "pass",
"opinion": "超时默认同意", "by_default": true} by actor "system" at due + 1 s — consistent with the clock, which
completes such steps by default at their due.

Village agents (代办员). An agent (post ``agent``, PostAssignment.hall = the village service room) submits with
channel ``agent`` and ``agent`` = the user. Routing: walk up ``Hall.parent`` from the village room and take the
first hall with an active window of the item's department (usually the township hall); if none, the county hall
at the top of the chain. The case's ``hall`` is that hall; the department's window clerks see it under 待受理.
The agent's list shows 代办受理 → 传送 (to which hall, accepted or not) → 回复 (result, document number, a
correction notice's materials or a rejection reason).
"""
