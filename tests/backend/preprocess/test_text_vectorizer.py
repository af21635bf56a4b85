"""TextVectorizer: padded int64 ids, vocabulary limits, unknown and padding ids, pickling; text statistics."""

import pickle

import numpy as np
import pandas as pd
import pytest

from backend.preprocess import TextVectorizer, describe_texts, find_text_column, tokenize

TEXTS = ["The cat sat.", "The dog sat on the mat!", "A cat, a dog."]


def test_texts_become_right_padded_int64_rows_as_wide_as_the_longest_text():
    vectorizer = TextVectorizer().fit(TEXTS)
    X = vectorizer.transform(TEXTS)
    assert X.dtype == np.int64 and X.shape == (3, 7)  # "the dog sat on the mat !"
    assert vectorizer.sequence_length_ == 7
    the, cat = vectorizer.vocabulary_["the"], vectorizer.vocabulary_["cat"]
    assert X[0].tolist()[:4] == [the, cat, vectorizer.vocabulary_["sat"], vectorizer.vocabulary_["."]]
    assert X[0].tolist()[4:] == [0, 0, 0]


def test_padding_is_zero_unknown_is_one_and_the_most_frequent_words_come_first():
    vectorizer = TextVectorizer().fit(TEXTS)
    assert vectorizer.vocabulary_["<pad>"] == 0 and vectorizer.vocabulary_["<unk>"] == 1
    assert vectorizer.tokens()[2] == "the"  # three times, the most frequent
    assert vectorizer.transform(["The zebra"]).tolist()[0][:2] == [vectorizer.vocabulary_["the"], 1]


def test_min_freq_and_max_tokens_limit_the_vocabulary():
    assert set(TextVectorizer(min_freq=2).fit(TEXTS).vocabulary_) == {"<pad>", "<unk>", "the", "cat", "sat", ".", "dog", "a"}
    small = TextVectorizer(max_tokens=4).fit(TEXTS)
    # "the" thrice, then six tokens twice: ties go alphabetically, "." before "a".
    assert small.vocabulary_size_ == 4 and small.tokens() == ["<pad>", "<unk>", "the", "."]
    assert small.transform(["dog"]).max() == 1


def test_long_texts_are_cut_to_max_length_keeping_their_start():
    vectorizer = TextVectorizer(max_length=3).fit(["one two three four five", "six"])
    X = vectorizer.transform(["one two three four five", "four five"])
    assert X.shape == (2, 3)
    assert X[0].tolist() == [vectorizer.vocabulary_[w] for w in ("one", "two", "three")]
    # Words only ever seen past the cap are not in the vocabulary: the model never saw them.
    assert "four" not in vectorizer.vocabulary_ and X[1].tolist() == [1, 1, 0]


def test_every_kept_token_id_appears_in_the_training_ids():
    texts = ["alpha beta gamma delta"] * 3 + ["beta epsilon"]
    vectorizer = TextVectorizer(max_length=2)
    X = vectorizer.fit_transform(texts)
    assert X.max() == vectorizer.vocabulary_size_ - 1


def test_lowercase_can_be_turned_off():
    assert "The" in TextVectorizer(lowercase=False).fit(TEXTS).vocabulary_
    assert "The" not in TextVectorizer().fit(TEXTS).vocabulary_


def test_missing_and_non_string_values_are_read_as_text():
    vectorizer = TextVectorizer().fit(["good 5 stars", None, np.nan, 5])
    X = vectorizer.transform([None, 5])
    assert X[0].tolist() == [0, 0, 0] and X[1][0] == vectorizer.vocabulary_["5"]


def test_dataframe_columns_series_and_arrays_are_read():
    frame = pd.DataFrame({"review": TEXTS, "stars": [1, 2, 3]})
    vectorizer = TextVectorizer(column="review").fit(frame)
    expected = vectorizer.transform(TEXTS)
    np.testing.assert_array_equal(vectorizer.transform(frame), expected)
    np.testing.assert_array_equal(vectorizer.transform(frame["review"]), expected)
    np.testing.assert_array_equal(vectorizer.transform(np.array(TEXTS, dtype=object)[:, None]), expected)
    with pytest.raises(TypeError, match="list of texts"):
        vectorizer.transform("one text")
    with pytest.raises(ValueError, match="'text'"):
        TextVectorizer(column="text").fit(frame)


def test_a_fitted_vectorizer_pickles_and_maps_the_same():
    vectorizer = TextVectorizer(max_tokens=6).fit(TEXTS)
    loaded = pickle.loads(pickle.dumps(vectorizer))
    np.testing.assert_array_equal(loaded.transform(TEXTS + ["unseen words"]), vectorizer.transform(TEXTS + ["unseen words"]))


@pytest.mark.parametrize(("name", "value"), [("max_tokens", 2), ("min_freq", 0), ("max_length", 0), ("max_length", 2.5)])
def test_bad_settings_are_named(name, value):
    with pytest.raises(ValueError, match=name):
        TextVectorizer(**{name: value}).fit(TEXTS)


def test_tokens_are_words_with_apostrophes_and_punctuation_marks():
    assert tokenize("Don't STOP, it's 2 good!") == ["don't", "stop", ",", "it's", "2", "good", "!"]


def test_describe_texts_gives_lengths_and_frequent_tokens():
    summary = describe_texts(TEXTS + [""], top=2)
    assert summary["n_texts"] == 4 and summary["n_empty"] == 1
    assert summary["lengths"]["max"] == 7 and summary["lengths"]["min"] == 0
    assert summary["top_tokens"] == [("the", 3), (".", 2)]


def test_the_text_column_is_the_one_with_the_most_words():
    frame = pd.DataFrame({"label": ["pos", "neg", "pos"], "review": TEXTS, "n": [1, 2, 3]})
    assert find_text_column(frame) == "review"
    assert find_text_column(frame, exclude=["review"]) == "label"
    assert find_text_column(frame[["n"]]) is None
