"""Resolution: from requirements to an exact set of releases, on the host, with resolvelib
(the resolver pip uses) and `packaging`. No package code runs: dependencies come from core
metadata (PEP 658 files, or METADATA read out of the wheel).

Candidates are pure-Python wheels for the sandbox's Python only, with a sha256, not
yanked (unless pinned exactly, as PEP 592 allows), whose `Requires-Python` admits the
sandbox. Packages built into the interpreter have exactly one candidate: the built-in
version. `Requires-Python` from metadata becomes a dependency on a virtual `<python>`
package, so a release that does not support the sandbox is backtracked over like any other
conflict. When nothing fits, the message names the package and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version
from resolvelib import (
    AbstractProvider,
    BaseReporter,
    ResolutionImpossible,
    ResolutionTooDeep,
    Resolver,
)
from resolvelib.structs import RequirementInformation

from widgetbox.host.packages.builtin import Builtins
from widgetbox.host.packages.errors import PackageError
from widgetbox.host.packages.index import Index, Link
from widgetbox.host.packages.limits import Budget
from widgetbox.host.packages.lock import Lock, Locked
from widgetbox.host.packages.requirements import Requirements
from widgetbox.host.packages.target import Target
from widgetbox.host.packages.wheels import Downloads

PYTHON = "<python>"
"""The virtual package that stands for the sandbox's Python."""
MAX_ROUNDS = 2000


@dataclass(frozen=True)
class Need:
    """A requirement during resolution."""

    name: str
    """Canonical name, or PYTHON."""
    specifier: SpecifierSet
    extras: frozenset[str]
    text: str
    """As written, for messages."""

    @classmethod
    def of(cls, requirement: Requirement) -> Need:
        return cls(
            canonicalize_name(requirement.name),
            requirement.specifier,
            frozenset(canonicalize_name(extra) for extra in requirement.extras),
            str(requirement),
        )


@dataclass(frozen=True)
class Candidate:
    name: str
    version: Version
    link: Link | None
    """None for a built-in package and for PYTHON."""
    extras: frozenset[str] = frozenset()
    builtin: bool = False

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def _key(name: str, extras: frozenset[str]) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


Info = RequirementInformation[Need, Candidate]


class Provider(AbstractProvider[Need, Candidate, str]):
    def __init__(
        self,
        index: Index,
        target: Target,
        builtins: Builtins,
        downloads: Downloads,
        budget: Budget,
    ) -> None:
        self.index = index
        self.target = target
        self.builtins = builtins
        self.downloads = downloads
        self.budget = budget
        self.python = Candidate(PYTHON, target.python, None)
        self.asked: dict[str, list[Info]] = {}
        """Every requirement met so far, by identifier, with who asked (for messages)."""

    # -- resolvelib's interface ------------------------------------------------------------

    def identify(self, requirement_or_candidate: Need | Candidate) -> str:
        return _key(requirement_or_candidate.name, requirement_or_candidate.extras)

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Info]],
        backtrack_causes: Sequence[Info],
    ) -> Any:
        # Python and built-ins first (one candidate each), then names that caused the last
        # backtrack, then the rest in a stable order.
        name = identifier.partition("[")[0]
        causes = {info.requirement.name for info in backtrack_causes}
        return (
            identifier != PYTHON,
            name not in self.builtins,
            name not in causes,
            identifier,
        )

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Need]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> list[Candidate]:
        self.budget.check()
        needs = list(requirements[identifier])
        excluded = {c.version for c in incompatibilities[identifier]}
        if identifier == PYTHON:
            fits = all(n.specifier.contains(self.target.python, True) for n in needs)
            return [self.python] if fits and self.target.python not in excluded else []
        name, extras = needs[0].name, needs[0].extras
        specifier = _merged(needs)
        builtin = self.builtins.get(name)
        if builtin is not None:
            found = specifier.contains(builtin.version, prereleases=True)
            candidate = Candidate(name, builtin.version, None, extras, builtin=True)
            return [candidate] if found and builtin.version not in excluded else []
        return [
            Candidate(name, version, link, extras)
            for version, link in self._usable(name, specifier, _pinned(needs))
            if version not in excluded
        ]

    def is_satisfied_by(self, requirement: Need, candidate: Candidate) -> bool:
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: Candidate) -> list[Need]:
        if candidate.name == PYTHON:
            return []
        if candidate.builtin:
            if not candidate.extras:
                return []  # its own dependencies are built in with it
            requires = self._builtin_requires(candidate.name)
            python = None
        else:
            assert candidate.link is not None
            meta = self.downloads.metadata(candidate.name, candidate.version, candidate.link)
            requires, python = meta.requires_dist, meta.requires_python
        needs: list[Need] = []
        if candidate.extras:
            # the same release without extras, plus what the extras add
            pin = SpecifierSet(f"=={candidate.version}")
            needs.append(Need(candidate.name, pin, frozenset(), f"{candidate.name}{pin}"))
        elif python is not None:
            needs.append(Need(PYTHON, python, frozenset(), f"Python {python}"))
        for requirement in requires:
            if self._applies(requirement, candidate.extras):
                needs.append(Need.of(requirement))
        for need in needs:
            self.note(need, candidate)
        return needs

    def note(self, need: Need, parent: Candidate | None) -> None:
        self.asked.setdefault(self.identify(need), []).append(RequirementInformation(need, parent))

    # -- helpers ---------------------------------------------------------------------------

    def _applies(self, requirement: Requirement, extras: frozenset[str]) -> bool:
        if not extras:
            return self.target.evaluate(requirement.marker)
        return any(self.target.evaluate(requirement.marker, extra) for extra in extras)

    def _builtin_requires(self, name: str) -> tuple[Requirement, ...]:
        builtin = self.builtins[name]
        found = []
        for line in builtin.requires_dist:
            try:
                found.append(Requirement(line))
            except ValueError:
                continue
        return tuple(found)

    def _usable(
        self, name: str, specifier: SpecifierSet, pinned: set[Version]
    ) -> list[tuple[Version, Link]]:
        """The releases of `name` that fit, newest first, each with its best wheel."""
        links = self.index.project(name, self.budget) or []
        best: dict[Version, tuple[int, Link]] = {}
        for link in links:
            wheel = _wheel(link)
            if wheel is None or canonicalize_name(wheel[0]) != name:
                continue
            version, tags = wheel[1], wheel[2]
            rank = self.target.tag_rank(tags)
            if rank is None or link.sha256 is None:
                continue
            if link.yanked and version not in pinned:
                continue
            if not self.target.supports(link.requires_python):
                continue
            if version not in best or rank < best[version][0]:
                best[version] = (rank, link)
        versions = sorted(specifier.filter(best.keys()), reverse=True)
        return [(version, best[version][1]) for version in versions]

    # -- why nothing fits ------------------------------------------------------------------

    def reason(self, name: str, specifier: SpecifierSet, pinned: set[Version]) -> str | None:
        """Why no release of `name` fits `specifier`, or None when one does."""
        builtin = self.builtins.get(name)
        if builtin is not None:
            if specifier.contains(builtin.version, prereleases=True):
                return None
            return (
                f"{builtin.name} {builtin.version} is built into the sandbox's interpreter and "
                "cannot be replaced by another version"
            )
        if self._usable(name, specifier, pinned):
            return None
        links = self.index.project(name, self.budget)
        if links is None:
            return f"There is no package named {name!r} on the package index"
        releases = _releases(links, name)
        if not releases:
            return f"{name} has no files on the package index"
        matching = sorted(specifier.filter(releases.keys()), reverse=True)
        if not matching:
            latest = max(releases)
            wanted = specifier or "any version"
            return f"No release of {name} matches {wanted} (the latest is {latest})"
        version = matching[0]
        files = [link for link in releases[version] if not link.yanked or version in pinned]
        if not files:
            return f"{name} {version} was yanked from the package index"
        if not any(self.target.supports(link.requires_python) for link in files):
            needs = files[0].requires_python
            return (
                f"{name} {version} does not support Python {self.target.python} (it needs "
                f"Python {needs})"
            )
        wheels = [(link, _wheel(link)) for link in files]
        tags = [w[2] for _, w in wheels if w is not None]
        if not tags:
            return (
                f"{name} {version} publishes no wheel, only a source distribution, and "
                "Widgetbox never builds packages from source"
            )
        if not any(self.target.tag_rank(t) is not None for t in tags):
            example = min(str(tag) for tag in tags[0])
            if all(_is_pure(t) for t in tags):
                return f"{name} {version} has no wheel for Python 3 (only {example})"
            return (
                f"{name} {version} needs compiled code the sandbox does not have: its wheels "
                f"are built for specific platforms (such as {example}), and the sandbox can "
                "use only pure-Python wheels"
            )
        return f"The package index gives no sha256 for the files of {name} {version}"

    def explain(self, error: ResolutionImpossible[Need, Candidate]) -> str:
        """A message for a failed resolution: for each package that could not be satisfied,
        who asked for it and why nothing fits."""
        groups: dict[str, list[Info]] = {}
        for info in error.causes:
            groups.setdefault(self.identify(info.requirement), []).append(info)
        parts = [self._explain_one(identifier, infos) for identifier, infos in groups.items()]
        # resolvelib reports the last dead end. When that is a release that does not support
        # this Python, the other releases were usually passed over for a conflict on the
        # same package: say that first.
        for info in error.causes:
            if info.requirement.name == PYTHON and info.parent is not None:
                conflict = self._conflict(self.identify(info.parent))
                if conflict and conflict not in parts:
                    parts.insert(0, conflict)
        return " ".join(parts) or "The requirements cannot be satisfied together."

    def _conflict(self, identifier: str) -> str | None:
        infos = self.asked.get(identifier, [])
        if not infos:
            return None
        name = infos[0].requirement.name
        needs = [info.requirement for info in infos]
        if self._usable(name, _merged(needs), _pinned(needs)):
            return None
        asks = "; ".join(dict.fromkeys(_who(info) for info in infos))
        return f"The requirements on {identifier} conflict: {asks}."

    def _explain_one(self, identifier: str, infos: list[Info]) -> str:
        asks = "; ".join(_who(info) for info in infos)
        name = infos[0].requirement.name
        if name == PYTHON:
            return (
                f"{asks}, but the sandbox runs Python {self.target.python}, so it cannot be "
                "installed."
            )
        for info in infos:
            need = info.requirement
            why = self.reason(name, need.specifier, _pinned([need]))
            if why is not None:
                return f"{why} ({asks})."
        return f"The requirements on {identifier} conflict: {asks}."


def _who(info: Info) -> str:
    if info.parent is None:
        return f"the widget requires {info.requirement.text}"
    return f"{info.parent} requires {info.requirement.text}"


def _merged(needs: Iterable[Need]) -> SpecifierSet:
    merged = SpecifierSet()
    for need in needs:
        merged &= need.specifier
    return merged


def _pinned(needs: Iterable[Need]) -> set[Version]:
    """Versions pinned exactly (`==1.2`, `===1.2`): yanked files of those may be used."""
    found = set()
    for need in needs:
        for spec in need.specifier:
            if spec.operator in {"==", "==="} and "*" not in spec.version:
                try:
                    found.add(Version(spec.version))
                except ValueError:
                    continue
    return found


def _wheel(link: Link) -> tuple[str, Version, frozenset[Tag]] | None:
    if not link.filename.endswith(".whl"):
        return None
    try:
        name, version, _, tags = parse_wheel_filename(link.filename)
    except ValueError:  # InvalidWheelFilename, or a version of more than 4,300 digits
        return None
    return name, version, tags


def _is_pure(tags: frozenset[Tag]) -> bool:
    return all(tag.abi == "none" and tag.platform == "any" for tag in tags)


def _releases(links: list[Link], name: str) -> dict[Version, list[Link]]:
    """Every release of `name` with its files (wheels and source distributions)."""
    found: dict[Version, list[Link]] = {}
    for link in links:
        wheel = _wheel(link)
        if wheel is not None:
            if canonicalize_name(wheel[0]) == name:
                found.setdefault(wheel[1], []).append(link)
            continue
        try:
            sdist_name, version = parse_sdist_filename(link.filename)
        except ValueError:  # InvalidSdistFilename, or a version of more than 4,300 digits
            continue
        if canonicalize_name(sdist_name) == name:
            found.setdefault(version, []).append(link)
    return found


class _Reporter(BaseReporter[Need, Candidate, str]):
    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    def starting_round(self, index: int) -> None:
        self.budget.check()


def resolve(
    requirements: Requirements,
    index: Index,
    target: Target,
    builtins: Builtins,
    downloads: Downloads,
    budget: Budget,
) -> Lock:
    """The exact releases `requirements` resolve to, or PackageError saying why not."""
    provider = Provider(index, target, builtins, downloads, budget)
    needs = [Need.of(r) for r in requirements.items if target.evaluate(r.marker)]
    for need in needs:
        provider.note(need, None)
    resolver: Resolver[Need, Candidate, str] = Resolver(provider, _Reporter(budget))
    try:
        result = resolver.resolve(needs, max_rounds=MAX_ROUNDS)
    except ResolutionImpossible as e:
        raise PackageError(provider.explain(e)) from None
    except ResolutionTooDeep:
        raise PackageError(
            "The requirements are too tangled to resolve (too many combinations tried); "
            "pin some versions and try again."
        ) from None
    packages = []
    for candidate in result.mapping.values():
        if candidate.name == PYTHON or candidate.extras:
            continue
        if candidate.builtin:
            packages.append(Locked(candidate.name, str(candidate.version), builtin=True))
            continue
        link = candidate.link
        assert link is not None
        packages.append(
            Locked(
                name=candidate.name,
                version=str(candidate.version),
                filename=link.filename,
                url=link.url,
                sha256=link.sha256,
                size=link.size,
            )
        )
    packages.sort(key=lambda p: canonicalize_name(p.name))
    return Lock(requirements.canonical, str(target.python), tuple(packages))
