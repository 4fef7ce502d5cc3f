"""`lazy_property`: `functools.cached_property` without the lock Python 3.11 takes.

On 3.11, cached_property holds one lock per property for ALL instances, so threads computing the
value for different objects (extraction of different notes in the server's job threads) ran one at
a time; 3.12 dropped that lock. Here two threads asking the same object at once may both compute the
value; the results are equal and the last one is kept.

    class Note:
        @lazy_property
        def doc(self): return expensive(self.text)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class lazy_property(Generic[T]):  # noqa: N801 - named like the decorator it replaces
    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> lazy_property[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> T | lazy_property[T]:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value  # later reads find it in the instance, not here
        return value
