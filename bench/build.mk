bench: deps all
	bash bench/run-bench.sh
