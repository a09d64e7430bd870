"""Search spaces: parsing, the grid, decoding trial parameters, and a clear error for every bad space."""

import optuna
import pytest

from mlplab.recipe import Config, ConfigError, load_config, read_config_file
from mlplab.tune import DEFAULT_SPACE, SearchSpace, SearchSpaceError


def test_fixed_options_and_dimensions_are_separated():
    space = SearchSpace.from_mapping(
        {
            "dataset": "moons",
            "epochs": 7,
            "lr": {"low": 1e-4, "high": 1e-1, "log": True},
            "hidden": {"choices": [[8], [16, 8]]},
        }
    )
    assert space.names == ["lr", "hidden"]
    assert space.fixed.dataset == "moons" and space.fixed.epochs == 7
    assert space.fixed.optimizer == Config().optimizer  # defaults fill the rest
    lr = space.dimensions[0]
    assert (lr.low, lr.high, lr.log, lr.step) == (1e-4, 1e-1, True, None)


def test_flags_fix_a_searched_option():
    space = SearchSpace.from_mapping(
        {"epochs": {"choices": [2, 4]}, "lr": {"low": 0.01, "high": 0.1}}, {"epochs": 3, "dataset": None}
    )
    assert space.names == ["lr"] and space.fixed.epochs == 3


def test_suggest_draws_inside_each_dimension_and_decodes_layer_lists():
    space = SearchSpace.from_mapping(
        {
            "lr": {"low": 1e-4, "high": 1e-2, "log": True},
            "batch_size": {"low": 16, "high": 64, "step": 16},
            "hidden": {"choices": [[32], [64, 32]]},
            "dropout": {"low": 0.0, "high": 0.5, "step": 0.25},
        }
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        config = space.suggest(study.ask())
        assert 1e-4 <= config.lr <= 1e-2
        assert config.batch_size in (16, 32, 48, 64) and isinstance(config.batch_size, int)
        assert config.hidden in ((32,), (64, 32))
        assert config.dropout in (0.0, 0.25, 0.5)
    trial = study.trials[0]
    assert trial.params["hidden"] in ("32", "64-32")  # stored as Optuna allows: a string
    assert space.config_for(trial.params).hidden in ((32,), (64, 32))


def test_grid_enumerates_choices_and_stepped_ranges():
    space = SearchSpace.from_mapping(
        {
            "batch_size": {"low": 32, "high": 128, "step": 32},
            "dropout": {"low": 0.1, "high": 0.3, "step": 0.1},
            "hidden": {"choices": [[8], []]},
        }
    )
    grid = space.grid()
    assert grid["batch_size"] == [32, 64, 96, 128]
    assert grid["dropout"] == pytest.approx([0.1, 0.2, 0.3])
    assert grid["hidden"] == ["8", "none"]
    assert space.grid_size() == 4 * 3 * 2
    assert space.config_for({"batch_size": 64, "dropout": 0.2, "hidden": "none"}).hidden == ()


def test_an_integer_range_is_a_grid_without_a_step():
    assert SearchSpace.from_mapping({"epochs": {"low": 3, "high": 6}}).grid() == {"epochs": [3, 4, 5, 6]}


def test_one_hidden_layer_may_be_written_as_its_size():
    space = SearchSpace.from_mapping({"hidden": {"choices": [8, [16, 8]]}})
    assert space.grid() == {"hidden": ["8", "16-8"]}
    assert space.config_for({"hidden": "8"}).hidden == (8,)
    with pytest.raises(SearchSpaceError, match="choices must differ"):
        SearchSpace.from_mapping({"hidden": {"choices": [8, [8]]}})


def test_a_fixed_null_means_what_it_means_to_mlplab_train(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("schedule: null\npatience: null\nlr: {low: 1.0e-3, high: 1.0e-2}\n")
    space = SearchSpace.from_file(path)
    assert space.fixed.schedule is None and space.fixed.patience is None


def test_grid_refuses_a_continuous_range_and_says_what_to_give():
    space = SearchSpace.from_mapping({"lr": {"low": 1e-4, "high": 1e-2, "log": True}})
    with pytest.raises(SearchSpaceError, match="lr: the grid sampler needs a finite set.*choices.*step"):
        space.grid()


def test_the_default_recipe_is_the_baseline_of_the_default_space():
    space = SearchSpace.from_mapping(DEFAULT_SPACE)
    baseline = space.baseline()
    assert baseline == {"hidden": "512-256", "lr": 1e-3, "batch_size": 128, "dropout": 0.2, "l2": 0.0}
    assert space.config_for(baseline) == space.fixed
    outside = SearchSpace.from_mapping({"lr": {"low": 0.01, "high": 0.1}})  # the default lr 1e-3 lies outside
    assert outside.baseline() is None


def test_a_yaml_file_with_exponents_written_without_a_dot(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("dataset: digits\nlr: {low: 1e-4, high: 1e-2, log: true}\nl2: {choices: [0, 1e-5, 1e-4]}\n")
    space = SearchSpace.from_file(path)
    assert space.dimensions[0].low == 1e-4 and space.dimensions[1].choices == (0.0, 1e-5, 1e-4)


def test_a_toml_file(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text(
        'dataset = "digits"\n[lr]\nlow = 1e-4\nhigh = 1e-2\nlog = true\n[optimizer]\nchoices = ["adam", "sgd"]\n'
    )
    space = SearchSpace.from_file(path)
    assert space.names == ["lr", "optimizer"] and space.fixed.dataset == "digits"


def test_spec_round_trips():
    mapping = {"epochs": 5, "lr": {"low": 1e-4, "high": 1e-2, "log": True}, "hidden": {"choices": [[8], [16, 8]]}}
    space = SearchSpace.from_mapping(mapping)
    again = SearchSpace.from_mapping(space.spec())
    assert again == space


@pytest.mark.parametrize(
    "mapping, message",
    [
        ({"learning_rate": {"low": 0.1, "high": 1.0}}, "learning_rate: unknown option; valid: activation"),
        ({"epochs": 3}, "no searched option"),
        ({"lr": {"low": 0.1, "hi": 1.0}}, "lr: a searched option is"),
        ({"lr": {"low": 0.1, "high": 0.01}}, r"lr: low \(0.1\) must be below high"),
        ({"lr": {"low": 0.0, "high": 0.1, "log": True}}, "lr: a log range needs low > 0"),
        ({"lr": {"low": 0.001, "high": 0.1, "log": True, "step": 0.01}}, "log and step cannot be combined"),
        ({"lr": {"low": "fast", "high": 0.1}}, "lr: low must be a number"),
        ({"lr": {"low": -1.0, "high": 0.1}}, r"lr: -1.0 is not allowed \(must be > 0\)"),
        ({"dropout": {"choices": [0.1, 1.5]}}, r"dropout: 1.5 is not allowed \(must be in \[0, 1\)\)"),
        ({"batch_size": {"low": 8.5, "high": 64}}, "batch_size: takes whole numbers"),
        ({"epochs": {"choices": [0, 64]}}, r"epochs: 0 is not allowed \(must be a whole number >= 1\)"),
        ({"activation": {"choices": ["relu", "swish"]}}, "activation: 'swish' is not a known name .one of .*tanh"),
        ({"optimizer": {"choices": []}}, "optimizer: choices must be a non-empty list"),
        ({"optimizer": {"choices": ["adam", "adam"]}}, "optimizer: choices must differ"),
        ({"optimizer": {"choices": ["adam"], "low": 1}}, "choices cannot be combined with low"),
        (
            {"hidden": {"choices": [[64, -1]]}},
            r"hidden: \[64, -1\] is not allowed \(must be a list of layer sizes >= 1\)",
        ),
        ({"hidden": {"low": 8, "high": 64}}, "hidden: a range needs a numeric option"),
        ({"batch_norm": {"choices": ["yes"]}}, "batch_norm: 'yes' is not true or false"),
        (
            {"seed": {"choices": [0, 1]}},
            "seed: cannot be searched: a search over seeds fits the validation set's noise",
        ),
        ({"val_fraction": {"low": 0.1, "high": 0.2}}, "val_fraction: cannot be searched"),
        ({"dataset": {"choices": ["digits", "moons"]}}, "dataset: cannot be searched"),
        ({"lr": {"low": 0.001, "high": 0.1, "step": -0.01}}, "step must be > 0"),
    ],
)
def test_a_bad_space_gets_a_clear_error(mapping, message):
    with pytest.raises(ValueError, match=message):
        SearchSpace.from_mapping(mapping)


def test_an_unknown_dataset_is_refused():
    with pytest.raises(ConfigError, match="dataset: 'cifar' is not a valid choice .one of fashion-mnist"):
        SearchSpace.from_mapping({"dataset": "cifar", "lr": {"low": 0.01, "high": 0.1}})


def test_a_missing_space_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="config file not found: .*nope.yaml"):
        SearchSpace.from_file(tmp_path / "nope.yaml")


def test_train_config_files_read_exponents_without_a_dot(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("lr: 1e-3\nl2: 5e-4\n")
    config = load_config(path)
    assert config.lr == 1e-3 and config.l2 == 5e-4 and read_config_file(path)["lr"] == "1e-3"
    path.write_text("lr: fast\n")
    with pytest.raises(ConfigError, match="lr in .*recipe.yaml: 'fast' is not a number"):
        load_config(path)
