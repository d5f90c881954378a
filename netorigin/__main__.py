from netorigin.cli import main

main(prog_name="netorigin")
