! mpi_mix.f90: the Fortran counterpart of mpi_mix.c, smaller (issue 21).
!   mpirun -np 2 ./mpi_mix_f STEPS [SLEEP_MS]
! Per step: some compute, a ring Send/Recv (even ranks send first), an
! Allreduce; rank 0 prints one line per step at full precision. The numbers
! depend only on the arguments, never on timing.
program mpi_mix_f
  use mpi
  use iso_c_binding, only: c_int
  implicit none
  interface
    integer(c_int) function usleep(us) bind(C, name='usleep')
      import :: c_int
      integer(c_int), value :: us
    end function usleep
  end interface
  integer, parameter :: n = 2048
  double precision :: a(n), inb(n), loc(2), tot(2)
  integer :: ierr, rank, np, right, left, steps, sleep_ms, s, i, k, st(MPI_STATUS_SIZE)
  character(len=32) :: arg

  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, np, ierr)
  if (command_argument_count() < 1) call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  call get_command_argument(1, arg)
  read (arg, *) steps
  sleep_ms = 100
  if (command_argument_count() > 1) then
    call get_command_argument(2, arg)
    read (arg, *) sleep_ms
  end if
  right = mod(rank + 1, np)
  left = mod(rank + np - 1, np)
  do i = 1, n
    a(i) = sin(0.001d0 * i + rank)
  end do

  do s = 0, steps - 1
    do k = 1, 20
      do i = 1, n
        a(i) = 0.5d0 * sin(a(i) + 0.01d0 * s) + 0.25d0 * cos(a(mod(i, n) + 1))
      end do
    end do
    if (mod(rank, 2) == 0) then
      call MPI_Send(a, n, MPI_DOUBLE_PRECISION, right, 1, MPI_COMM_WORLD, ierr)
      call MPI_Recv(inb, n, MPI_DOUBLE_PRECISION, left, 1, MPI_COMM_WORLD, st, ierr)
    else
      call MPI_Recv(inb, n, MPI_DOUBLE_PRECISION, left, 1, MPI_COMM_WORLD, st, ierr)
      call MPI_Send(a, n, MPI_DOUBLE_PRECISION, right, 1, MPI_COMM_WORLD, ierr)
    end if
    if (sleep_ms > 0) i = usleep(int(sleep_ms * 1000, c_int))
    loc(1) = sum(a)
    loc(2) = sum(inb)
    call MPI_Allreduce(loc, tot, 2, MPI_DOUBLE_PRECISION, MPI_SUM, MPI_COMM_WORLD, ierr)
    a = a + 1d-3 * inb + 1d-6 * tot(1)
    if (rank == 0) then
      write (*, '(a,i0,a,es25.17e3,a,es25.17e3)') 'step ', s, ' sum ', tot(1), ' ring ', tot(2)
      flush (6)
    end if
  end do
  if (rank == 0) write (*, '(a,i0,a,i0)') 'done np ', np, ' steps ', steps
  call MPI_Finalize(ierr)
end program mpi_mix_f
