from tourdraw.cli import main

main()
