from p2pvalue.cli import main

main()
