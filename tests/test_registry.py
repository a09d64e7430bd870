"""Name registries: lookup rules, error messages, registration and the library's five registries."""

import pytest

import mlplab
from mlplab import Registry, UnknownNameError


@pytest.fixture
def reg():
    r = Registry("widget")

    @r.register("foo", "Foo_Bar")
    class Foo:
        def __init__(self, size=1):
            self.size = size

    @r.register("baz")
    def baz(x=0):
        return ("baz", x)

    r.Foo, r.baz = Foo, baz
    return r


def test_register_returns_component_unchanged(reg):
    assert reg.get("foo") is reg.Foo
    assert reg.get("baz") is reg.baz
    assert reg.Foo.__name__ == "Foo"


@pytest.mark.parametrize("name", ["foo", "FOO", "Foo", "foo_bar", "FOO_BAR", "foo-bar", "Foo-Bar"])
def test_get_is_case_insensitive_and_accepts_hyphens(reg, name):
    assert reg.get(name) is reg.Foo


def test_names_sorted_lower_case_and_iterable(reg):
    assert reg.names() == ["baz", "foo", "foo_bar"]
    assert list(reg) == reg.names()


def test_unknown_name_error_lists_valid_names(reg):
    with pytest.raises(UnknownNameError) as info:
        reg.get("qux")
    message = str(info.value)
    assert "widget" in message and "'qux'" in message
    assert "valid names: baz, foo, foo_bar" in message
    assert not message.startswith('"')  # not quoted like a plain KeyError


def test_unknown_name_error_is_value_error_and_key_error(reg):
    assert issubclass(UnknownNameError, ValueError) and issubclass(UnknownNameError, KeyError)
    with pytest.raises(ValueError):
        reg.get("qux")
    with pytest.raises(KeyError):
        reg.get("qux")


def test_get_non_string_raises_type_error(reg):
    with pytest.raises(TypeError, match="widget name must be a string"):
        reg.get(3)


@pytest.mark.parametrize("name", ["foo", "FOO", "baz"])
def test_duplicate_registration_raises(reg, name):
    with pytest.raises(ValueError, match="already registered"):
        reg.register(name)(object())
    assert reg.get("foo") is reg.Foo


def test_registered_hyphenated_name_can_be_looked_up():
    r = Registry("widget")
    component = object()
    r.register("leaky-thing")(component)
    assert "leaky-thing" in r
    assert r.get("leaky-thing") is component
    assert r.get("leaky_thing") is component


def test_create_from_name_passes_keyword_arguments(reg):
    obj = reg.create("FOO", size=4)
    assert isinstance(obj, reg.Foo) and obj.size == 4
    assert reg.create("baz", x=2) == ("baz", 2)


@pytest.mark.parametrize("spec", [object(), 3, None, ["foo"]])
def test_create_with_non_string_returns_it_unchanged(reg, spec):
    assert reg.create(spec, size=4) is spec


def test_create_unknown_name_raises(reg):
    with pytest.raises(UnknownNameError):
        reg.create("nope")


def test_name_of_returns_first_registered_name(reg):
    assert reg.name_of(reg.Foo) == "foo"
    assert reg.name_of(reg.baz) == "baz"
    with pytest.raises(UnknownNameError, match="not a registered widget"):
        reg.name_of(object())


def test_contains(reg):
    assert "foo" in reg and "FOO" in reg and "foo-bar" in reg and "Foo_Bar" in reg
    assert "qux" not in reg
    assert 3 not in reg and None not in reg


def test_library_has_five_registries():
    assert set(mlplab.REGISTRIES) == {"activation", "loss", "initializer", "optimizer", "schedule"}
    for kind, registry in mlplab.REGISTRIES.items():
        assert isinstance(registry, Registry)
        assert registry.kind == kind
        assert len(registry.names()) > 0


@pytest.mark.parametrize(
    "kind, name",
    [
        ("activation", "relu"),
        ("loss", "mse"),
        ("initializer", "he_normal"),
        ("optimizer", "adam"),
        ("schedule", "step"),
    ],
)
def test_library_registries_resolve_common_names(kind, name):
    registry = mlplab.REGISTRIES[kind]
    assert name in registry
    assert registry.name_of(registry.get(name)) in registry.names()


def test_library_registries_are_the_exported_ones():
    assert mlplab.REGISTRIES["optimizer"] is mlplab.OPTIMIZERS
    assert mlplab.REGISTRIES["schedule"] is mlplab.SCHEDULES
    assert mlplab.REGISTRIES["loss"] is mlplab.LOSSES
    assert mlplab.REGISTRIES["activation"] is mlplab.ACTIVATIONS
    assert mlplab.REGISTRIES["initializer"] is mlplab.INITIALIZERS
