"""FlightCacheDataset: a torch IterableDataset reading a flightcache dataset in batches."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Generator, Iterator, Sequence
from typing import Any, Callable, Optional, Union

import pyarrow as pa
import pyarrow.flight as flight
from torch.utils.data import IterableDataset, get_worker_info

from .. import _process
from ..client import Client
from ..locations import Connections
from ..readahead import DEFAULT_READ_AHEAD, check_read_ahead
from ..request import Request, share_request
from ..samehost import check_transport
from ..stream import Piece, ShareStream, share_info
from .convert import SEQUENCES, BatchRows, combine
from .distributed import all_gather, resolve_rank
from .plan import Position, Segment, batch_limits, resplit, segment_rows
from .prefetch import Prefetcher
from .rechunk import rechunk
from .state import CONFIG_KEYS, STATE_FORMAT, Progress, TaggedBatch, TaggedGroup, merge_state_dicts
from .transfer import shareable


class FlightCacheDataset(IterableDataset):
    """Reads `dataset` from a flightcache server as batches of `batch_size` rows (dicts of tensors).

    Every row of an epoch is read exactly once across ranks and DataLoader workers: worker w of
    rank r reads virtual rank r*num_workers+w of world_size*num_workers, one server share each.
    The rank and world size are taken at construction: from the arguments, torch.distributed,
    RANK and WORLD_SIZE (both or neither), or 0 of 1. With `shuffle`, the server permutes
    batches and rows by (seed, epoch); call set_epoch each epoch. Up to `read_ahead` endpoints of a share stream at
    once (threads of the iterating process), delivered in share order. Construction opens no
    connection, so the dataset can be handed to forked workers; each process opens its own.
    `transport="auto"` reads locations whose node runs on this host from its shared memory
    (tensors then share the mapped memory), "shm" insists on that, "grpc" never; `transport`
    says what this process uses. `hosts` (every rank's host id, the same list on every rank, e.g.
    flightcache.host.rank_hosts()) makes each rank's share prefer the partitions placed on its host.
    """

    def __init__(
        self,
        endpoint: str,
        dataset: Optional[str],
        *,
        batch_size: int,
        columns: Optional[Sequence[str]] = None,
        filter: Optional[str] = None,  # noqa: A002 - the server's option name
        shuffle: bool = False,
        seed: int = 0,
        drop_last: bool = False,
        transform: Optional[Callable[[pa.RecordBatch], Any]] = None,
        sequences: str = "padded",
        pad_value: Any = 0,
        rank: Optional[int] = None,
        world_size: Optional[int] = None,
        token: Optional[str] = None,
        user: Optional[str] = None,
        password: Optional[str] = None,
        prefetch: int = 4,
        read_ahead: int = DEFAULT_READ_AHEAD,
        server_batch_rows: Optional[int] = None,
        retry_timeout: float = 10.0,
        timeout: Optional[float] = None,
        transport: Optional[str] = None,
        hosts: Optional[Sequence[str]] = None,
    ):
        if not (isinstance(batch_size, int) and batch_size >= 1):
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        if sequences not in SEQUENCES:
            raise ValueError(f"sequences must be one of {SEQUENCES}, got {sequences!r}")
        self.endpoint = endpoint
        self.dataset = dataset
        self.batch_size = batch_size
        self.columns = list(columns) if columns is not None else None
        self.filter = filter
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.transform = transform
        self.sequences = sequences
        self.pad_value = pad_value
        self.rank, self.world_size = resolve_rank(rank, world_size)
        if hosts is not None and (isinstance(hosts, str) or len(hosts) != self.world_size):
            raise ValueError(f"hosts must list the host id of each of the {self.world_size} ranks (flightcache.host.rank_hosts()), got {hosts!r}")
        self.hosts = [str(host) for host in hosts] if hosts is not None else None
        self.prefetch = prefetch
        self.read_ahead = check_read_ahead(read_ahead)
        self.server_batch_rows = server_batch_rows
        self.retry_timeout = retry_timeout
        self.timeout = timeout
        self.requested_transport = check_transport(transport)
        self.epoch = 0
        self._credentials = (token, user, password)
        self._num_workers = 0
        self._tag_batches = False
        self._loaded: Optional[dict[str, Any]] = None
        self._epoch_file: Optional[str] = None
        self._progress: dict[int, Union[Position, list[dict[str, Any]]]] = {}
        self._progress_world: Optional[int] = None
        self._client: Optional[Client] = None
        self._client_pid: Optional[int] = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_client=None, _client_pid=None, _progress={}, _progress_world=None)
        return state

    def set_epoch(self, epoch: int) -> None:
        """Selects the epoch (and so the shuffle); a loaded state of another epoch is discarded."""
        if self._loaded is not None and self._loaded["epoch"] != epoch:
            self._loaded = None
        if epoch != self.epoch:
            self._progress = {}
        self.epoch = epoch

    def _connections(self) -> Connections:
        return self._process_client().connections

    def _process_client(self) -> Client:
        # One client per process: a DataLoader worker must never reuse its parent's connections.
        if self._client is None or self._client_pid != os.getpid():
            token, user, password = self._credentials
            self._client = Client(
                self.endpoint, token, user, password, timeout=self.timeout, retry_timeout=self.retry_timeout,
                transport=self.requested_transport,
            )
            self._client_pid = os.getpid()
        return self._client

    @property
    def transport(self) -> str:
        """How this process reads the rank's share: "shm" (every location from same-host shared memory),
        "grpc" (none), or "shm+grpc" (some locations on this host, some not). Asks the server the first time."""
        if self.requested_transport == "grpc":
            return "grpc"
        client = self._process_client()
        chosen = set(client.location_transports(share_info(client.connections, self._request(self.rank, self.world_size))).values())
        return "shm+grpc" if len(chosen) > 1 else chosen.pop() if chosen else "grpc"

    def _request(self, virtual_rank: int, virtual_world: int, resume: Optional[dict[str, Any]] = None) -> Request:
        # A rank's DataLoader workers run on its host: virtual rank v belongs to rank v // workers.
        workers = virtual_world // self.world_size
        hosts = [self.hosts[v // workers] for v in range(virtual_world)] if self.hosts is not None else None
        return share_request(
            self.dataset, rank=virtual_rank, world_size=virtual_world, columns=self.columns, filter=self.filter,
            shuffle=self.shuffle, seed=self.seed, epoch=self.epoch, batch_rows=self.server_batch_rows, resume=resume, hosts=hosts,
        )

    def _plan(self, virtual_world: int) -> dict[int, list[Segment]]:
        """Every virtual rank's segments for this iteration (only the known ones for a partial same-world state)."""
        if self._loaded is None:
            return {v: [Segment(self._request(v, virtual_world))] for v in range(virtual_world)}
        old_world = self._loaded["virtual_world_size"]
        streams = {int(v): [Segment.from_dict(s) for s in stream["segments"]] for v, stream in self._loaded["streams"].items()}
        if old_world == virtual_world:
            return streams
        return resplit(streams, old_world, virtual_world, lambda v, resume: self._request(v, virtual_world, resume))

    @staticmethod
    def _segments(plan: dict[int, list[Segment]], virtual_rank: int) -> list[Segment]:
        if virtual_rank not in plan:
            raise ValueError(
                f"the loaded state has no position for virtual rank {virtual_rank} (it holds {sorted(plan)}): the world "
                "size or worker count changed, so load the merged state of all ranks (flightcache.torch.gather_state_dict)"
            )
        return plan[virtual_rank]

    def _limit(
        self, connections: Connections, plan: dict[int, list[Segment]], virtual_world: int, workers: int, virtual_rank: int
    ) -> tuple[int, Optional[flight.FlightInfo]]:
        """drop_last: how many batches `virtual_rank` yields so that all ranks yield the same number.

        In a fresh epoch, one GetFlightInfo (this virtual rank's share, with "rank_records") tells the rows
        of every share, and its FlightInfo is returned to be read: one planning call per virtual rank and
        epoch. A loaded state asks for every virtual rank's segments instead (once, when resuming).
        """
        rows: dict[int, int] = {}
        if self._loaded is None:
            info = share_info(connections, {**self._segments(plan, virtual_rank)[0].request, "rank_records": True})
            counts = json.loads(info.app_metadata or b"{}").get("rank_records")
            if not (isinstance(counts, list) and len(counts) == virtual_world):
                raise ValueError("drop_last needs the server to report the rows of every share (rank_records): upgrade the flightcache server")
            rows = dict(enumerate(int(count) for count in counts))
            return batch_limits(rows, self.world_size, workers, self.batch_size)[virtual_rank], info
        for v in range(virtual_world):
            total = 0
            for segment in self._segments(plan, v):
                segment_info = share_info(connections, segment.request, segment.start_after)
                if segment_info.total_records < 0:
                    raise ValueError("drop_last needs the server to report total_records of every share")
                total += segment_rows(segment, segment_info.total_records)
            rows[v] = total
        return batch_limits(rows, self.world_size, workers, self.batch_size)[virtual_rank], None

    def _produce(
        self, connections: Connections, segments: list[Segment], limit: Optional[int], active: list[ShareStream], to_main: bool = False,
        first_info: Optional[flight.FlightInfo] = None,
    ) -> Iterator[list[tuple[Any, Position]]]:
        """The converted batches with their positions, in groups: those cut from the same server batch travel
        to the consumer together, so small batches cost one hand-over between threads per server batch.
        `to_main` (a DataLoader worker): each server batch is put where the main process can map it.
        `first_info`: the first segment's FlightInfo, already asked for."""
        read = [0]

        def pieces() -> Iterator[tuple[int, Piece, Any]]:
            for index, segment in enumerate(segments):
                stream = ShareStream(
                    connections, segment.request, start_after=segment.start_after, skip=segment.skip, stop=segment.stop,
                    retry_timeout=self.retry_timeout, read_ahead=self.read_ahead, info=first_info if index == 0 else None,
                )
                active[:] = [stream]
                for piece in stream:
                    read[0] += 1
                    rows = shareable(piece.rows) if to_main else piece.rows
                    # Without a transform, each server batch becomes tensors once; batches are cut from them.
                    yield index, piece, rows if self.transform is not None else BatchRows(rows, self.sequences, self.pad_value)

        if limit == 0:
            return
        delivered = 0
        group: list[tuple[Any, Position]] = []
        group_read = 0  # the server batches read when the group's first batch was cut
        for parts, mark in rechunk(pieces(), self.batch_size, self.drop_last):
            if group and read[0] != group_read:
                yield group
                group = []
            group_read = read[0]
            # A batch combined from two server batches is a new copy, made where the main process can map it.
            place = shareable if to_main else None
            batch = BatchRows.join(parts, place) if self.transform is None else self.transform(combine(parts, place))
            group.append((batch, Position(segments, mark)))
            delivered += 1
            if delivered == limit:
                break
        if group:
            yield group

    def _publish_epoch(self) -> None:
        """Main process, persistent workers: writes the epoch and loaded state the workers read as they start an epoch."""
        path = self._epoch_file
        if path is None:
            return
        partial = f"{path}.{os.getpid()}"
        with open(partial, "w") as file:
            json.dump({"epoch": self.epoch, "loaded": self._loaded}, file)
        os.replace(partial, path)

    def __iter__(self) -> Generator[Any, None, None]:
        worker = get_worker_info()
        if worker is not None:
            _process.check_not_forked("this DataLoader worker")
            if self._epoch_file is not None:
                # A persistent worker: its copy of the dataset is from the first epoch.
                with open(self._epoch_file) as file:
                    published = json.load(file)
                self.epoch, self._loaded = published["epoch"], published["loaded"]
        workers, worker_id = (worker.num_workers, worker.id) if worker is not None else (1, 0)
        virtual_world = self.world_size * workers
        virtual_rank = self.rank * workers + worker_id
        plan = self._plan(virtual_world)
        segments = self._segments(plan, virtual_rank)
        connections = self._connections()
        limit, first_info = self._limit(connections, plan, virtual_world, workers, virtual_rank) if self.drop_last else (None, None)
        if worker is None:
            self._begin_tracking(virtual_world)
        active: list[ShareStream] = []

        def cancel() -> None:
            for stream in list(active):
                stream.cancel()

        to_main = worker is not None and self._tag_batches
        producer = Prefetcher(self._produce(connections, segments, limit, active, to_main, first_info), self.prefetch, cancel)
        try:
            for group in producer:
                if worker is not None and self._tag_batches:
                    # One item per server batch: DataLoader's hand-over between processes costs per item.
                    yield TaggedGroup([TaggedBatch(batch, Progress(virtual_rank, virtual_world, position.remaining())) for batch, position in group])
                    continue
                for batch, position in group:
                    if worker is None:
                        self._progress[virtual_rank] = position
                    yield batch
        finally:
            producer.close()
        self._loaded = None

    def _begin_tracking(self, virtual_world: int) -> None:
        self._progress = {}
        self._progress_world = virtual_world

    def _record(self, progress: Progress) -> None:
        self._progress_world = progress.virtual_world
        self._progress[progress.virtual_rank] = progress.segments

    def state_dict(self) -> dict[str, Any]:
        """Where this rank's streams of the current epoch stand; see flightcache.torch.state for the format."""
        # The virtual world of the iteration under way (a FlightCacheDataLoader's workers count), else of reading here.
        virtual_world = self._progress_world if self._progress_world is not None else self.world_size * max(self._num_workers, 1)
        workers = virtual_world // self.world_size
        own = range(self.rank * workers, (self.rank + 1) * workers)
        plan: Optional[dict[int, list[Segment]]] = None
        streams: dict[str, Any] = {}
        for v in own:
            if self._progress_world == virtual_world and v in self._progress:
                progress = self._progress[v]
                segments = progress.remaining() if isinstance(progress, Position) else progress
            else:
                plan = plan if plan is not None else self._plan(virtual_world)
                segments = [segment.to_dict() for segment in self._segments(plan, v)]
            streams[str(v)] = {"segments": copy.deepcopy(segments)}
        config = {key: getattr(self, key) for key in CONFIG_KEYS}
        return {"format": STATE_FORMAT, **config, "epoch": self.epoch, "virtual_world_size": virtual_world, "streams": streams}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continues the saved epoch where the state stopped on the next iteration, with any world size or worker count."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"not a {STATE_FORMAT} state dict (format {state.get('format')!r})")
        differing = [key for key in CONFIG_KEYS if state.get(key) != getattr(self, key)]
        if differing:
            raise ValueError(f"the state is for another configuration: {', '.join(f'{k}={state.get(k)!r}' for k in differing)}")
        self._loaded = copy.deepcopy(state)
        self.epoch = state["epoch"]
        self._progress = {}
        self._progress_world = None


def gather_state_dict(dataset: FlightCacheDataset) -> dict[str, Any]:
    """The merged state of every rank (a collective call under torch.distributed: call it on all ranks)."""
    return merge_state_dicts(all_gather(dataset.state_dict()))
