# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
TORCH_INDEX ?=
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: an unpinned torch would pull a multi-GB CUDA build. Where no CPU wheel is
	# offered locally, TORCH_INDEX=https://download.pytorch.org/whl/cpu fetches the CPU build.
	$(BIN)/pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/pip install -q -e '.[test,bench,onnx,dask]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run dashboard/app.py

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check backend dashboard tests bench

bench: $(STAMP)
	$(BIN)/python bench/fit_speed.py

clean:
	rm -rf $(VENV) .pytest_cache
