"""A conformance scenario for a flightcache-contract Flight server, run from one pyarrow process.

Each check records pass/fail with a detail string; a check that raises fails with the error.
Error checks accept the pyarrow classes that the right gRPC status maps to (NOT_FOUND ->
ArrowKeyError, INVALID_ARGUMENT -> ArrowInvalid, UNIMPLEMENTED -> ArrowNotImplementedError,
UNAUTHENTICATED -> FlightUnauthenticatedError).
"""

import os
import threading

import pyarrow as pa
import pyarrow.flight as flight
from all_types import build
from flight_client import Session, error_report, is_flight_error
from table_compare import compare_tables

NOT_FOUND = ("ArrowKeyError",)
INVALID = ("ArrowInvalid",)


class _Expectation(Exception):
    pass


class Scenario:
    """Runs the checks against one server and collects {name: {pass, detail}}."""

    def __init__(self, session, user=None, password=None, prefix=None, large=False):
        self.session = session
        self.url, self.user, self.password, self.timeout = session.url, user, password, session.timeout
        self.prefix = prefix or f"interop-{os.getpid()}"
        self.variants = ["all_types", "empty", "batches"] + (["large"] if large else [])
        self.checks = {}
        self.created = set()

    def name(self, suffix):
        """A dataset name private to this run; remembered for cleanup."""
        full = f"{self.prefix}-{suffix}"
        self.created.add(full)
        return full

    def check(self, name, fn):
        """Run fn(); its return value is the detail of a pass, an exception fails the check."""
        try:
            self.checks[name] = {"pass": True, "detail": str(fn())}
        except _Expectation as exc:
            self.checks[name] = {"pass": False, "detail": str(exc)}
        except Exception as exc:  # noqa: BLE001 - any failure of the server under test is a result
            self.checks[name] = {"pass": False, "detail": f"{type(exc).__name__}: {error_report(exc)['message']}"}

    def expect_error(self, fn, accepted):
        """Call fn and require a server error whose class name is in `accepted`."""
        try:
            fn()
        except Exception as exc:  # noqa: BLE001
            if is_flight_error(exc) and type(exc).__name__ in accepted:
                return f"{type(exc).__name__} as expected"
            raise _Expectation(f"expected {'/'.join(accepted)}, got {type(exc).__name__}: {error_report(exc)['message']}") from exc
        raise _Expectation(f"expected {'/'.join(accepted)}, the call succeeded")

    def _roundtrip(self, variant):
        expected = build(variant)
        name = self.name(f"rt-{variant}")
        self.session.put(name, expected)
        actual, batches, endpoints = self.session.read(name)
        equal, detail = compare_tables(expected, actual)
        if not equal:
            raise _Expectation(detail)
        return f"{actual.num_rows} rows in batches {batches[:16]} over {endpoints} endpoint(s)"

    def _info(self):
        expected = build("all_types")
        info = self.session.info(self.name("rt-all_types"))
        problems = []
        if info.total_records != expected.num_rows:
            problems.append(f"total_records {info.total_records} != {expected.num_rows}")
        if not info.schema.equals(expected.schema, check_metadata=True):
            problems.append("schema (with metadata) differs")
        if not info.endpoints:
            problems.append("no endpoints")
        if list(info.descriptor.path) != [self.name("rt-all_types").encode()]:
            problems.append(f"descriptor path {info.descriptor.path}")
        if problems:
            raise _Expectation("; ".join(problems))
        return f"{info.total_records} records, {info.total_bytes} bytes, {len(info.endpoints)} endpoint(s)"

    def _schema(self):
        schema = self.session.schema(self.name("rt-all_types"))
        if not schema.equals(build("all_types").schema, check_metadata=True):
            raise _Expectation(f"GetSchema returned {schema}")
        return f"{len(schema)} fields, metadata kept"

    def _list(self):
        listed = {bytes(info.descriptor.path[0]).decode() for info in self.session.list() if info.descriptor.path}
        wanted = {self.name(f"rt-{v}") for v in self.variants}
        missing = wanted - listed
        if missing:
            raise _Expectation(f"missing from ListFlights: {sorted(missing)}")
        return f"{len(listed)} flights listed, all {len(wanted)} of ours present"

    def _concurrent_reads(self):
        name = self.name("rt-batches")
        expected = build("batches")
        results = [None] * 4

        def read(i):
            try:
                results[i] = compare_tables(expected, Session(self.url, self.user, self.password, self.timeout).read(name)[0])
            except Exception as exc:  # noqa: BLE001
                results[i] = (False, error_report(exc)["message"])

        threads = [threading.Thread(target=read, args=(i,)) for i in range(len(results))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        failures = [detail for ok, detail in results if not ok]
        if failures:
            raise _Expectation(f"{len(failures)} of {len(results)} readers failed: {failures[0]}")
        return f"{len(results)} concurrent readers got equal tables"

    def _append(self):
        base = build("all_types")
        name = self.name("append")
        self.session.put(name, base)
        self.session.put(name, base)
        actual = self.session.read(name)[0]
        equal, detail = compare_tables(pa.concat_tables([base, base]), actual)
        if not equal:
            raise _Expectation(f"after two puts: {detail}")
        return f"{actual.num_rows} rows after two puts"

    def _append_mismatch(self):
        name = self.name("append")
        other = pa.table({"unrelated": pa.array([1, 2, 3], type=pa.int64())})
        outcome = self.expect_error(lambda: self.session.put(name, other), INVALID)
        rows = self.session.read(name)[0].num_rows
        if rows != 2 * build("all_types").num_rows:
            raise _Expectation(f"rejected put changed the dataset: {rows} rows")
        return outcome + ", dataset unchanged"

    def _drop(self):
        name = self.name("append")
        self.session.action("drop", name.encode())
        outcome = self.expect_error(lambda: self.session.info(name), NOT_FOUND)
        listed = {bytes(info.descriptor.path[0]).decode() for info in self.session.list() if info.descriptor.path}
        if name in listed:
            raise _Expectation("dropped dataset still listed")
        self.created.discard(name)
        return f"dropped; GetFlightInfo then raised {outcome}"

    def _auth_checks(self):
        def bare(**kwargs):
            return Session(self.url, timeout=self.timeout, **kwargs)

        self.check("auth.missing_token_rejected", lambda: self.expect_error(lambda: bare().list(), ("FlightUnauthenticatedError",)))
        self.check(
            "auth.wrong_password_rejected",
            lambda: self.expect_error(lambda: bare(user=self.user, password=self.password + "x"), ("FlightUnauthenticatedError",)),
        )

        def forged():
            session = bare()
            session.headers = [(b"authorization", b"Bearer not-a-token")]
            return session.list()

        self.check("auth.forged_token_rejected", lambda: self.expect_error(forged, ("FlightUnauthenticatedError",)))
        self.check("auth.bearer_token_accepted", lambda: f"{len(self.session.list())} flights listed with the token")

    def run(self):
        """Run every check, drop what was created, and return the JSON report."""
        for variant in self.variants:
            self.check(f"roundtrip.{variant}", lambda v=variant: self._roundtrip(v))
        self.check("info.all_types", self._info)
        self.check("schema.all_types", self._schema)
        self.check("list.contains_datasets", self._list)
        self.check("doget.concurrent_readers", self._concurrent_reads)
        self.check("put.append_same_schema", self._append)
        self.check("put.append_other_schema_rejected", self._append_mismatch)
        self.check("action.drop", self._drop)
        missing = self.name("missing")
        self.check("errors.info_unknown_dataset", lambda: self.expect_error(lambda: self.session.info(missing), NOT_FOUND))
        self.check("errors.schema_unknown_dataset", lambda: self.expect_error(lambda: self.session.schema(missing), NOT_FOUND))
        self.check(
            "errors.doget_unknown_ticket",
            lambda: self.expect_error(lambda: self.session.read_ticket(self.session.client, flight.Ticket(missing.encode())), NOT_FOUND + INVALID),
        )
        self.check("errors.drop_unknown_dataset", lambda: self.expect_error(lambda: self.session.action("drop", missing.encode()), NOT_FOUND))
        self.check(
            "errors.unknown_action",
            lambda: self.expect_error(lambda: self.session.action("no-such-action"), ("ArrowNotImplementedError",) + INVALID),
        )
        small = build("all_types")
        self.check(
            "errors.put_command_descriptor",
            lambda: self.expect_error(lambda: self.session.put_descriptor(flight.FlightDescriptor.for_command(b"x"), small), INVALID + ("ArrowNotImplementedError",)),
        )
        self.check(
            "errors.put_empty_name",
            lambda: self.expect_error(lambda: self.session.put_descriptor(flight.FlightDescriptor.for_path(""), small), INVALID),
        )
        if self.user is not None:
            self._auth_checks()
        return self.report()

    def report(self):
        """Drop the datasets this run created and summarise the checks."""
        cleanup_errors = []
        for name in sorted(self.created):
            try:
                self.session.action("drop", name.encode())
            except Exception as exc:  # noqa: BLE001 - datasets whose put failed do not exist
                if type(exc).__name__ not in NOT_FOUND:
                    cleanup_errors.append(f"{name}: {type(exc).__name__}")
        failed = [name for name, result in self.checks.items() if not result["pass"]]
        return {
            "ok": not failed,
            "passed": len(self.checks) - len(failed),
            "failed": failed,
            "checks": self.checks,
            "cleanup_errors": cleanup_errors,
        }
